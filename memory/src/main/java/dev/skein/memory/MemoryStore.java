package dev.skein.memory;

import dev.skein.events.MemoryKind;
import dev.skein.events.MemoryRecord;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Long-term memory on Kafka: writes go to the compacted memories topic (the source of truth) and
 * this instance's {@link MemoryIndex} is rebuilt from it and kept current by a {@link MemoryTail}.
 * Every write returns once the index holds it, so a caller reads what it wrote.
 */
public final class MemoryStore implements AutoCloseable {

    private final SkeinTopics topics;
    private final EventProducer producer;
    private final MemoryIndex index;
    private final MemoryTail tail;
    private final Duration writeTimeout;

    /**
     * @param producer    writes memories and tombstones, and dead letters; owned by the caller
     * @param embedder    embeds new memories and queries
     */
    public MemoryStore(
            Map<String, Object> kafkaClientProps,
            SkeinTopics topics,
            EventProducer producer,
            Embedder embedder,
            Duration writeTimeout) {
        this.topics = topics;
        this.producer = producer;
        this.writeTimeout = writeTimeout;
        this.index = new MemoryIndex(embedder);
        this.tail = new MemoryTail(
                kafkaClientProps,
                topics.memories,
                index,
                (record, cause) -> producer.deadLetter(topics.deadLetters, record, cause));
    }

    /** Completes once the index holds everything the topic held at the start. */
    public CompletableFuture<Void> ready() {
        return tail.ready();
    }

    /** Null while the index is current; otherwise what is wrong. */
    public String problem() {
        return tail.problem();
    }

    /**
     * Embeds and writes a memory under {@code id} (null: a fresh one); returns it once this
     * instance's index holds it.
     */
    public MemoryRecord remember(
            String id,
            String tenant,
            String userId,
            MemoryKind kind,
            String text,
            String entity,
            List<String> relations,
            String sourceSessionId,
            String sourceTurnId)
            throws InterruptedException {
        MemoryRecord record = MemoryRecords.create(
                index.embedder(),
                id == null ? java.util.UUID.randomUUID().toString() : id,
                tenant,
                userId,
                kind,
                text,
                entity,
                relations,
                sourceSessionId,
                sourceTurnId,
                System.currentTimeMillis());
        await(producer.send(topics.memories, MemoryKey.of(record), record));
        return record;
    }

    /** Forgets one memory (a tombstone); false when this tenant and user hold none of that id. */
    public boolean forget(String tenant, String userId, String id) throws InterruptedException {
        String key = MemoryKey.of(tenant, userId, id);
        if (index.get(key) == null) {
            return false;
        }
        await(producer.tombstone(topics.memories, key));
        return true;
    }

    /** Forgets every memory of one user of a tenant (an erasure request); returns how many. */
    public int forgetUser(String tenant, String userId) throws InterruptedException {
        List<String> keys = index.keysOf(tenant, userId);
        CompletableFuture<?>[] sent = keys.stream()
                .map(key -> producer.tombstone(topics.memories, key))
                .toArray(CompletableFuture[]::new);
        for (CompletableFuture<?> one : sent) {
            @SuppressWarnings("unchecked")
            CompletableFuture<RecordMetadata> metadata = (CompletableFuture<RecordMetadata>) one;
            await(metadata);
        }
        return keys.size();
    }

    public List<MemoryRecord> search(MemoryQuery query) {
        return index.search(query);
    }

    /** The memory under the tenant, user and id, or null. */
    public MemoryRecord get(String tenant, String userId, String id) {
        return index.get(MemoryKey.of(tenant, userId, id));
    }

    /** The memory of any user of the tenant with this id, or null. */
    public MemoryRecord find(String tenant, String id) {
        return index.find(tenant, id);
    }

    public int size() {
        return index.size();
    }

    private void await(CompletableFuture<RecordMetadata> sent) throws InterruptedException {
        RecordMetadata metadata;
        try {
            metadata = sent.get(writeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot write to " + topics.memories.name() + ": " + e.getCause(), e);
        } catch (TimeoutException e) {
            throw new IllegalStateException("no answer from " + topics.memories.name() + " in " + writeTimeout, e);
        }
        if (!tail.awaitApplied(metadata.partition(), metadata.offset(), writeTimeout)) {
            throw new IllegalStateException("the memory index did not catch up with its own write in " + writeTimeout);
        }
    }

    @Override
    public void close() {
        tail.close();
        index.close();
    }
}
