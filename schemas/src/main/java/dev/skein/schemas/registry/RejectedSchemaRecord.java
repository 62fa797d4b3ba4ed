package dev.skein.schemas.registry;

/**
 * A record of the schemas topic that the embedded registry skipped: something other than Skein
 * wrote it, or it collides with a schema read before it. The registry keeps going without it; the
 * node that owns a dead-letter producer writes it to the dead-letter topic (see
 * {@link EmbeddedSchemaRegistry#onRejected}).
 *
 * @param key the raw key; null when the record had none
 * @param value the raw value; never null (tombstones are not rejected, they are ignored)
 * @param cause why it was skipped, in words an operator can act on
 */
public record RejectedSchemaRecord(String topic, int partition, long offset, byte[] key, byte[] value, String cause) {}
