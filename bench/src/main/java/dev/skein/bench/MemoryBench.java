package dev.skein.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.skein.events.MemoryKind;
import dev.skein.events.MemoryRecord;
import dev.skein.memory.Embedder;
import dev.skein.memory.MemoryIndex;
import dev.skein.memory.MemoryKey;
import dev.skein.memory.MemoryQuery;
import dev.skein.memory.MemoryRecords;
import dev.skein.memory.MiniLmEmbedder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.HdrHistogram.Histogram;

/**
 * {@code skein bench memory}: recall latency of the {@link MemoryIndex} at 100,000 memories (10
 * tenants of 100 users each, a tenth of each tenant's memories shared), with the real in-process
 * MiniLM model. Embedding 100,000 texts would take most of the run, so {@code distinct} sentences
 * are embedded and every memory's vector is one of them with a little noise (renormalized), which
 * keeps the clusters real text has. Figures: rebuilding the index (records/s, as from the topic,
 * without Kafka), embedding one query, and recall (a query's embedding included) for one user
 * (a selective filter) and across a whole tenant (the administrator's search).
 */
final class MemoryBench {

    record Options(int memories, int distinct, int queries, Path out) {}

    record Figure(String what, int memories, double perSecond, Latency latency) {}

    private static final int TENANTS = 10;
    private static final int USERS = 100;
    private static final String[] SUBJECTS = {"order", "invoice", "flight", "hotel", "meeting", "dog", "garden", "car"};
    private static final String[] FACTS = {
        "prefers to be contacted by email about the",
        "was unhappy with the delay of the",
        "asked twice about the",
        "wants a refund for the",
        "likes the blue colour of the",
        "booked the",
        "cancelled the",
        "forgot the code of the"
    };

    private final Options options;
    private final PrintStream console;
    private final Random random = new Random(42);

    MemoryBench(Options options, PrintStream console) {
        this.options = options;
        this.console = console;
    }

    List<Figure> run() {
        // The serdes trust Skein's generated classes (Avro's class check), which copying a record needs.
        new dev.skein.schemas.SkeinTopics("skein.", new dev.skein.schemas.registry.InMemorySchemaRegistry());
        Embedder embedder = new MiniLmEmbedder();
        List<MemoryRecord> distinct = new ArrayList<>();
        for (int i = 0; i < options.distinct(); i++) {
            String text = "The customer " + FACTS[i % FACTS.length] + " "
                    + SUBJECTS[(i / FACTS.length) % SUBJECTS.length] + " number " + i;
            distinct.add(
                    MemoryRecords.create(embedder, "t0", null, MemoryKind.FACT, text, null, List.of(), null, null, i));
        }
        List<Figure> figures = new ArrayList<>();
        try (MemoryIndex index = new MemoryIndex(embedder)) {
            long start = System.nanoTime();
            for (int i = 0; i < options.memories(); i++) {
                MemoryRecord base = distinct.get(random.nextInt(distinct.size()));
                String tenant = "tenant" + (i % TENANTS);
                String user = i % 10 == 0 ? null : "user" + ((i / TENANTS) % USERS);
                MemoryRecord record = MemoryRecord.newBuilder(base)
                        .setId("m" + i)
                        .setTenant(tenant)
                        .setUserId(user)
                        .setCreatedAtMs(i)
                        .setEmbedding(noisy(base.getEmbedding()))
                        .build();
                index.apply(MemoryKey.of(record), record);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            figures.add(new Figure("rebuild", options.memories(), options.memories() / seconds, null));
            figures.add(measure("embed query", index, () -> embedder.embed(query())));
            figures.add(measure(
                    "recall one user",
                    index,
                    () -> index.search(MemoryQuery.recall(
                            "tenant" + random.nextInt(TENANTS), "user" + random.nextInt(USERS), query(), 5))));
            figures.add(measure(
                    "search a tenant",
                    index,
                    () -> index.search(new MemoryQuery(
                            "tenant" + random.nextInt(TENANTS), null, null, null, null, null, query(), 20))));
        }
        for (Figure f : figures) {
            if (f.latency() == null) {
                console.printf(
                        Locale.ROOT,
                        "memory %-16s %7d memories  %10.0f records/s%n",
                        f.what(),
                        f.memories(),
                        f.perSecond());
            } else {
                console.printf(
                        Locale.ROOT,
                        "memory %-16s %7d memories  p50 %8.3f ms  p99 %8.3f ms%n",
                        f.what(),
                        f.memories(),
                        f.latency().p50(),
                        f.latency().p99());
            }
        }
        return figures;
    }

    private String query() {
        return "what did the customer say about the " + SUBJECTS[random.nextInt(SUBJECTS.length)];
    }

    private Figure measure(String what, MemoryIndex index, Runnable once) {
        Histogram nanos = Latency.histogram();
        int warmup = Math.max(10, options.queries() / 10);
        for (int i = -warmup; i < options.queries(); i++) {
            long start = System.nanoTime();
            once.run();
            if (i >= 0) {
                nanos.recordValue(System.nanoTime() - start);
            }
        }
        Latency latency = Latency.of(nanos);
        return new Figure(what, index.size(), latency.p50() > 0 ? 1_000 / latency.p50() : 0, latency);
    }

    private List<Float> noisy(List<Float> vector) {
        float[] v = new float[vector.size()];
        double norm = 0;
        for (int i = 0; i < v.length; i++) {
            v[i] = vector.get(i) + (float) (random.nextGaussian() * 0.02);
            norm += v[i] * v[i];
        }
        List<Float> out = new ArrayList<>(v.length);
        for (float x : v) {
            out.add((float) (x / Math.sqrt(norm)));
        }
        return out;
    }

    void write(List<Figure> figures) throws IOException {
        Files.createDirectories(options.out());
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(options.out().resolve("memory.json").toFile(), figures);
    }
}
