package dev.skein.memory;

import dev.skein.events.MemoryKind;
import dev.skein.events.MemoryRecord;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.lucene.analysis.standard.StandardAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.KnnFloatVectorField;
import org.apache.lucene.document.LongPoint;
import org.apache.lucene.document.NumericDocValuesField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.index.VectorSimilarityFunction;
import org.apache.lucene.search.BooleanClause.Occur;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.SearcherManager;
import org.apache.lucene.search.Sort;
import org.apache.lucene.search.SortField;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * The memories of the topic as a searchable view: vectors in Lucene's HNSW graph, the filters
 * (tenant, user, kind, entity, time) as indexed fields applied inside the vector search, and the
 * records themselves in a map by key. It holds nothing that the topic does not: any instance
 * rebuilds it by {@link #apply applying} the topic from the beginning, tombstones included.
 * Thread-safe; searches see every apply that returned before them.
 */
public final class MemoryIndex implements AutoCloseable {

    private static final String KEY = "key";
    private static final String TENANT = "tenant";
    private static final String USER = "user";
    private static final String KIND = "kind";
    private static final String ENTITY = "entity";
    private static final String CREATED = "created";
    private static final String VECTOR = "vector";

    private final Embedder embedder;
    private final ByteBuffersDirectory directory = new ByteBuffersDirectory();
    private final IndexWriter writer;
    private final SearcherManager searchers;
    private final Map<String, MemoryRecord> records = new ConcurrentHashMap<>();

    /** @param embedder embeds the text of queries; records of another model are kept out of the index */
    public MemoryIndex(Embedder embedder) {
        this.embedder = embedder;
        try {
            this.writer = new IndexWriter(directory, new IndexWriterConfig(new StandardAnalyzer()));
            this.searchers = new SearcherManager(writer, null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Applies one record of the topic: a value adds or replaces the memory under {@code key}, null
     * (a tombstone) removes it.
     *
     * @throws IllegalArgumentException when the value does not belong under the key, or its vector
     *     is not of this index's model (the key is removed: what it held is no longer current)
     */
    public void apply(String key, MemoryRecord record) {
        try {
            writer.deleteDocuments(new Term(KEY, key));
            records.remove(key);
            if (record == null) {
                return;
            }
            if (!MemoryKey.of(record).equals(key)) {
                throw new IllegalArgumentException("the memory under '" + key + "' is " + MemoryKey.of(record));
            }
            if (!embedder.model().equals(record.getEmbeddingModel())
                    || record.getEmbedding().size() != embedder.dimensions()) {
                throw new IllegalArgumentException("the memory " + key + " was embedded by "
                        + record.getEmbeddingModel() + " ("
                        + record.getEmbedding().size() + " dimensions); this index"
                        + " uses " + embedder.model() + " (" + embedder.dimensions() + ")");
            }
            writer.addDocument(document(key, record));
            records.put(key, record);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The memories that match {@code query}: nearest first with a text, newest first without. */
    public List<MemoryRecord> search(MemoryQuery query) {
        Query filter = filter(query);
        try {
            searchers.maybeRefreshBlocking();
            IndexSearcher searcher = searchers.acquire();
            try {
                TopDocs top = query.text() == null
                        ? searcher.search(
                                filter, query.limit(), new Sort(new SortField(CREATED, SortField.Type.LONG, true)))
                        : searcher.search(
                                new KnnFloatVectorQuery(VECTOR, embedQuery(query.text()), query.limit(), filter),
                                query.limit());
                List<MemoryRecord> found = new ArrayList<>(top.scoreDocs.length);
                for (ScoreDoc hit : top.scoreDocs) {
                    String key = searcher.storedFields().document(hit.doc).get(KEY);
                    MemoryRecord record = records.get(key);
                    if (record != null) {
                        found.add(record);
                    }
                }
                return found;
            } finally {
                searchers.release(searcher);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A query text the embedder finds nothing in: only whitespace, control, zero-width, combining
     * or replacement characters (what invalid UTF-8 decodes to). The caller's mistake, not an
     * outage: the HTTP API answers it with a 400.
     */
    public static final class UnsearchableText extends IllegalArgumentException {
        UnsearchableText(String text, RuntimeException cause) {
            super(
                    "the query has no words to search by (" + text.length() + " characters of whitespace, control,"
                            + " zero-width or combining characters): " + cause.getMessage(),
                    cause);
        }
    }

    private float[] embedQuery(String text) {
        try {
            return embedder.embed(text);
        } catch (IllegalArgumentException e) {
            // The tokenizer left no token (LangChain4j's ONNX encoder says so with this exception).
            throw new UnsearchableText(text, e);
        }
    }

    /** The record under {@code key}, or null. */
    public MemoryRecord get(String key) {
        return records.get(key);
    }

    /** The keys of every memory of one user of a tenant (null: the tenant's own), for erasure. */
    public List<String> keysOf(String tenant, String userId) {
        String prefix = MemoryKey.of(tenant, userId, "");
        return records.keySet().stream()
                .filter(key -> key.startsWith(prefix))
                .sorted()
                .toList();
    }

    /** The memory of any user of {@code tenant} with this id, or null. */
    public MemoryRecord find(String tenant, String id) {
        return records.values().stream()
                .filter(r -> r.getTenant().equals(tenant) && r.getId().equals(id))
                .findFirst()
                .orElse(null);
    }

    /** How many memories the index holds. */
    public int size() {
        return records.size();
    }

    public Embedder embedder() {
        return embedder;
    }

    private static Document document(String key, MemoryRecord record) {
        Document doc = new Document();
        doc.add(new StringField(KEY, key, Field.Store.YES));
        doc.add(new StringField(TENANT, record.getTenant(), Field.Store.NO));
        doc.add(new StringField(USER, MemoryKey.userPart(record.getUserId()), Field.Store.NO));
        doc.add(new StringField(KIND, record.getKind().name(), Field.Store.NO));
        if (record.getEntity() != null) {
            doc.add(new StringField(ENTITY, normalized(record.getEntity()), Field.Store.NO));
        }
        doc.add(new LongPoint(CREATED, record.getCreatedAtMs()));
        doc.add(new NumericDocValuesField(CREATED, record.getCreatedAtMs()));
        float[] vector = new float[record.getEmbedding().size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = record.getEmbedding().get(i);
        }
        doc.add(new KnnFloatVectorField(VECTOR, vector, VectorSimilarityFunction.COSINE));
        return doc;
    }

    private static Query filter(MemoryQuery query) {
        BooleanQuery.Builder all = new BooleanQuery.Builder();
        all.add(new TermQuery(new Term(TENANT, query.tenant())), Occur.FILTER);
        if (query.users() != null) {
            all.add(anyOf(USER, query.users().stream().toList()), Occur.FILTER);
        }
        if (query.kinds() != null) {
            all.add(anyOf(KIND, query.kinds().stream().map(MemoryKind::name).toList()), Occur.FILTER);
        }
        if (query.entity() != null) {
            all.add(new TermQuery(new Term(ENTITY, normalized(query.entity()))), Occur.FILTER);
        }
        if (query.sinceMs() != null || query.untilMs() != null) {
            long since = query.sinceMs() == null ? Long.MIN_VALUE : query.sinceMs();
            long until = query.untilMs() == null ? Long.MAX_VALUE : query.untilMs();
            all.add(LongPoint.newRangeQuery(CREATED, since, until), Occur.FILTER);
        }
        return all.build();
    }

    private static Query anyOf(String field, List<String> values) {
        BooleanQuery.Builder any = new BooleanQuery.Builder();
        for (String value : values) {
            any.add(new TermQuery(new Term(field, value)), Occur.SHOULD);
        }
        return any.setMinimumNumberShouldMatch(1).build();
    }

    // Entities are matched whatever their case: "Acme" and "acme" are one entity.
    private static String normalized(String entity) {
        return entity.strip().toLowerCase(Locale.ROOT);
    }

    @Override
    public void close() {
        try {
            searchers.close();
            writer.close();
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
