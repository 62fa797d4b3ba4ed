package dev.skein.schemas.registry;

import org.apache.avro.Schema;

/**
 * Where Avro schemas get their ids, as in Confluent's wire format. Implementations cache: a
 * schema registered once is not sent again, and an id resolved once is not looked up again.
 */
public interface SchemaRegistry extends AutoCloseable {

    /**
     * Registers {@code schema} under {@code subject} (idempotent) and returns its global id.
     *
     * @throws SchemaRegistryException when the registry refuses it (incompatible, invalid) or
     *     cannot be reached
     */
    int register(String subject, Schema schema);

    /**
     * The schema with this global id.
     *
     * @throws SchemaRegistryException when no schema has this id, or the registry cannot be reached
     */
    Schema schemaById(int id);

    @Override
    default void close() {}
}
