package dev.skein.schemas.registry;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.avro.Schema;

/** A registry that lives in one JVM only: for topology tests and tools that need no durability. */
public final class InMemorySchemaRegistry implements SchemaRegistry {

    private final List<Schema> schemas = new CopyOnWriteArrayList<>();
    private final Map<Schema, Integer> ids = new ConcurrentHashMap<>();

    @Override
    public synchronized int register(String subject, Schema schema) {
        return ids.computeIfAbsent(schema, s -> {
            schemas.add(s);
            return schemas.size();
        });
    }

    @Override
    public Schema schemaById(int id) {
        if (id < 1 || id > schemas.size()) {
            throw new SchemaRegistryException("Schema " + id + " not found", 40403);
        }
        return schemas.get(id - 1);
    }
}
