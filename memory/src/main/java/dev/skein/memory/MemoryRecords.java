package dev.skein.memory;

import dev.skein.events.MemoryKind;
import dev.skein.events.MemoryRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Builds memory records, embedded by the given embedder. */
public final class MemoryRecords {

    /** The longest text a memory holds: memories are statements, not documents. */
    public static final int MAX_TEXT = 2_000;

    private MemoryRecords() {}

    /** A new memory with a fresh id, its text embedded now. */
    public static MemoryRecord create(
            Embedder embedder,
            String tenant,
            String userId,
            MemoryKind kind,
            String text,
            String entity,
            List<String> relations,
            String sourceSessionId,
            String sourceTurnId,
            long nowMs) {
        return create(
                embedder,
                UUID.randomUUID().toString(),
                tenant,
                userId,
                kind,
                text,
                entity,
                relations,
                sourceSessionId,
                sourceTurnId,
                nowMs);
    }

    /**
     * A new memory with the given id (a tool call's id, so that a call delivered twice writes the
     * same memory twice rather than two memories), its text embedded now.
     */
    public static MemoryRecord create(
            Embedder embedder,
            String id,
            String tenant,
            String userId,
            MemoryKind kind,
            String text,
            String entity,
            List<String> relations,
            String sourceSessionId,
            String sourceTurnId,
            long nowMs) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("a memory needs a text");
        }
        if (text.length() > MAX_TEXT) {
            throw new IllegalArgumentException(
                    "a memory's text is at most " + MAX_TEXT + " characters, got " + text.length());
        }
        float[] vector = embedder.embed(text.strip());
        List<Float> embedding = new ArrayList<>(vector.length);
        for (float v : vector) {
            embedding.add(v);
        }
        return MemoryRecord.newBuilder()
                .setId(id)
                .setTenant(tenant)
                .setUserId(userId)
                .setKind(kind)
                .setText(text.strip())
                .setEntity(entity == null || entity.isBlank() ? null : entity.strip())
                .setRelations(relations == null ? List.of() : List.copyOf(relations))
                .setSourceSessionId(sourceSessionId)
                .setSourceTurnId(sourceTurnId)
                .setCreatedAtMs(nowMs)
                .setEmbeddingModel(embedder.model())
                .setEmbedding(embedding)
                .build();
    }
}
