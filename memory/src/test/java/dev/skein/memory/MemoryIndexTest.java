package dev.skein.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.MemoryKind;
import dev.skein.events.MemoryRecord;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The index with the real in-process MiniLM model: similarity, filters, tombstones, isolation, rebuilds. */
class MemoryIndexTest {

    private static Embedder embedder;
    private static SkeinTopics topics;
    private final MemoryIndex index = new MemoryIndex(embedder);
    // What the topic would hold: the records as the serde writes them, read back for a rebuild.
    private final List<byte[]> topic = new ArrayList<>();

    @BeforeAll
    static void loadModel() {
        embedder = new MiniLmEmbedder();
        topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
    }

    @AfterEach
    void close() {
        index.close();
    }

    private MemoryRecord remember(String tenant, String user, MemoryKind kind, String text, String entity, long at) {
        MemoryRecord record =
                MemoryRecords.create(embedder, tenant, user, kind, text, entity, List.of(), "s1", "t1", at);
        topic.add(topics.memories.valueSerde().serializer().serialize(topics.memories.name(), record));
        index.apply(MemoryKey.of(record), record);
        return record;
    }

    private static List<String> texts(List<MemoryRecord> records) {
        return records.stream().map(MemoryRecord::getText).toList();
    }

    @Test
    void recallsTheNearestMemoryFirst() {
        remember("acme", "alice", MemoryKind.FACT, "Alice's favourite colour is green", null, 1);
        remember("acme", "alice", MemoryKind.FACT, "Alice lives in Lisbon", null, 2);
        remember("acme", "alice", MemoryKind.FACT, "Alice has a dog called Rex", null, 3);

        List<MemoryRecord> found = index.search(MemoryQuery.recall("acme", "alice", "where does Alice live?", 1));

        assertThat(texts(found)).containsExactly("Alice lives in Lisbon");
        assertThat(texts(index.search(MemoryQuery.recall("acme", "alice", "what is her pet's name", 1))))
                .containsExactly("Alice has a dog called Rex");
    }

    @Test
    void recallNeverCrossesTenantsOrUsers() {
        remember("acme", "alice", MemoryKind.FACT, "Alice lives in Lisbon", null, 1);
        remember("acme", "bob", MemoryKind.FACT, "Bob lives in Oslo", null, 2);
        remember("acme", null, MemoryKind.FACT, "Acme's office is in Porto", null, 3);
        remember("globex", "alice", MemoryKind.FACT, "Globex's Alice lives in Rome", null, 4);

        assertThat(texts(index.search(MemoryQuery.recall("acme", "alice", "where does someone live", 10))))
                .containsExactlyInAnyOrder("Alice lives in Lisbon", "Acme's office is in Porto");
        assertThat(texts(index.search(MemoryQuery.recall("acme", "bob", "where does someone live", 10))))
                .containsExactlyInAnyOrder("Bob lives in Oslo", "Acme's office is in Porto");
        assertThat(texts(index.search(MemoryQuery.recall("acme", null, "where does someone live", 10))))
                .containsExactly("Acme's office is in Porto");
        assertThat(texts(index.search(MemoryQuery.recall("globex", "alice", "where does someone live", 10))))
                .containsExactly("Globex's Alice lives in Rome");
        assertThat(index.search(MemoryQuery.recall("initech", "alice", "where", 10)))
                .isEmpty();
    }

    @Test
    void filtersByKindEntityAndTime() {
        remember("acme", "alice", MemoryKind.FACT, "Alice prefers tea", null, 100);
        remember("acme", "alice", MemoryKind.ENTITY, "Rex is Alice's dog", "Rex", 200);
        remember("acme", "alice", MemoryKind.EPISODE, "Alice asked about dog food brands", null, 300);
        MemoryQuery all = MemoryQuery.recall("acme", "alice", "dog", 10);

        assertThat(texts(index.search(all.withKinds(Set.of(MemoryKind.EPISODE)))))
                .containsExactly("Alice asked about dog food brands");
        assertThat(texts(index.search(all.withEntity("rex")))).containsExactly("Rex is Alice's dog");
        assertThat(texts(index.search(all.withTime(150L, 250L)))).containsExactly("Rex is Alice's dog");
        assertThat(texts(index.search(all.withTime(null, 150L)))).containsExactly("Alice prefers tea");
    }

    @Test
    void listsNewestFirstWithoutText() {
        remember("acme", "alice", MemoryKind.FACT, "first", null, 1);
        remember("acme", "alice", MemoryKind.FACT, "second", null, 2);
        remember("acme", "alice", MemoryKind.FACT, "third", null, 3);

        MemoryQuery newest = new MemoryQuery("acme", null, null, null, null, null, null, 2);
        assertThat(texts(index.search(newest))).containsExactly("third", "second");
    }

    @Test
    void aTombstoneForgetsAndAReplacementReplaces() {
        MemoryRecord lisbon = remember("acme", "alice", MemoryKind.FACT, "Alice lives in Lisbon", null, 1);
        remember("acme", "alice", MemoryKind.FACT, "Alice likes jazz", null, 2);

        index.apply(MemoryKey.of(lisbon), null);
        assertThat(texts(index.search(MemoryQuery.recall("acme", "alice", "where does Alice live", 10))))
                .containsExactly("Alice likes jazz");
        assertThat(index.get(MemoryKey.of(lisbon))).isNull();

        MemoryRecord moved =
                MemoryRecord.newBuilder(lisbon).setText("Alice lives in Madrid").build();
        index.apply(MemoryKey.of(moved), moved);
        assertThat(index.size()).isEqualTo(2);
        assertThat(index.get(MemoryKey.of(lisbon)).getText()).isEqualTo("Alice lives in Madrid");
    }

    @Test
    void aRebuiltIndexAnswersTheSame() {
        remember("acme", "alice", MemoryKind.FACT, "Alice lives in Lisbon", null, 1);
        MemoryRecord jazz = remember("acme", "alice", MemoryKind.FACT, "Alice likes jazz", null, 2);
        remember("acme", "bob", MemoryKind.FACT, "Bob likes rock music", null, 3);
        index.apply(MemoryKey.of(jazz), null);

        try (MemoryIndex rebuilt = new MemoryIndex(embedder)) {
            for (byte[] bytes : topic) {
                MemoryRecord record =
                        topics.memories.valueSerde().deserializer().deserialize(topics.memories.name(), bytes);
                rebuilt.apply(MemoryKey.of(record), record);
            }
            rebuilt.apply(MemoryKey.of(jazz), null);
            MemoryQuery query = MemoryQuery.recall("acme", "alice", "what music does she like", 5);
            assertThat(texts(rebuilt.search(query))).isEqualTo(texts(index.search(query)));
            assertThat(texts(rebuilt.search(query))).containsExactly("Alice lives in Lisbon");
        }
    }

    @Test
    void refusesARecordUnderAnotherKeyOrOfAnotherModel() {
        MemoryRecord record =
                MemoryRecords.create(embedder, "acme", "alice", MemoryKind.FACT, "x", null, List.of(), null, null, 1);

        assertThatThrownBy(() -> index.apply("globex/alice/" + record.getId(), record))
                .isInstanceOf(IllegalArgumentException.class);
        MemoryRecord other = MemoryRecord.newBuilder(record)
                .setEmbeddingModel("text-embedding-3-small")
                .build();
        assertThatThrownBy(() -> index.apply(MemoryKey.of(other), other))
                .hasMessageContaining("text-embedding-3-small");
        assertThat(index.size()).isZero();
    }

    @Test
    void aQueryWithNoWordsIsTheCallersMistake() {
        remember("acme", "alice", MemoryKind.FACT, "Alice lives in Lisbon", null, 1);

        // Zero-width space, the replacement character (invalid UTF-8), control characters, a lone accent.
        for (String text : List.of("\u200b", "\ufffd\ufffd", "\u0001\u0002", "\u0301")) {
            assertThatThrownBy(() -> index.search(MemoryQuery.recall("acme", "alice", text, 1)))
                    .isInstanceOf(MemoryIndex.UnsearchableText.class)
                    .hasMessageContaining("no words to search by");
        }
    }
}
