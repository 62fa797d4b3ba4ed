package dev.skein.schemas.registry;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;

/**
 * A registry that lives in one JVM only: for topology tests and tools that need no durability.
 * Ids are numbered from 1 in order of first registration, as Confluent's registry numbers them.
 */
public final class InMemorySchemaRegistry implements ListableSchemaRegistry {

    private final List<Schema> schemas = new CopyOnWriteArrayList<>();
    private final Map<Schema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<String, CopyOnWriteArrayList<Integer>> idsBySubject = new ConcurrentSkipListMap<>();

    @Override
    public synchronized int register(String subject, Schema schema) {
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("schema registry subject must not be blank");
        }
        int id = ids.computeIfAbsent(schema, s -> {
            schemas.add(s);
            return schemas.size();
        });
        idsBySubject.computeIfAbsent(subject, s -> new CopyOnWriteArrayList<>()).addIfAbsent(id);
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        if (id < 1 || id > schemas.size()) {
            throw new SchemaRegistryException("Schema " + id + " not found", 40403);
        }
        return schemas.get(id - 1);
    }

    @Override
    public List<String> subjects() {
        return List.copyOf(idsBySubject.keySet());
    }

    @Override
    public List<Integer> idsOf(String subject) {
        List<Integer> known = idsBySubject.get(subject);
        return known == null ? List.of() : List.copyOf(known);
    }
}
