package dev.skein.schemas.serde;

import dev.skein.schemas.registry.SchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Avro values of one generated type in Confluent's wire format: magic byte 0, the 4-byte
 * big-endian schema id, then Avro binary. Subjects follow Confluent's TopicNameStrategy
 * ({@code <topic>-value}), so Confluent's clients read Skein's topics as they are.
 *
 * <p>Written by hand because Confluent's serializer is not published to Maven Central.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

    static final byte MAGIC = 0;

    static {
        // Avro 1.12 refuses to instantiate generated classes by name unless their package is
        // trusted; Skein's own events are, and nothing else is added.
        ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(
                previous, type -> type.getPackageName().equals("dev.skein.events")));
    }

    private final Schema readerSchema;
    private final SchemaRegistry registry;
    private final SpecificDatumWriter<T> writer;
    private final Map<String, Integer> idBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, SpecificDatumReader<T>> readerById = new ConcurrentHashMap<>();
    private final Serializer<T> serializer = this::serialize;
    private final Deserializer<T> deserializer = this::deserialize;

    private AvroSerde(Class<T> type, SchemaRegistry registry) {
        this.readerSchema = SpecificData.get().getSchema(type);
        this.registry = registry;
        this.writer = new SpecificDatumWriter<>(readerSchema);
    }

    public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type, SchemaRegistry registry) {
        return new AvroSerde<>(type, registry);
    }

    private byte[] serialize(String topic, T value) {
        if (value == null) {
            return null;
        }
        int id = idBySubject.computeIfAbsent(topic + "-value", subject -> registry.register(subject, readerSchema));
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(MAGIC);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        try {
            writer.write(value, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw new SerializationException(
                    "Cannot write " + readerSchema.getName() + " to " + topic + ": " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    private T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        if (data.length < 5 || data[0] != MAGIC) {
            throw new SerializationException("Record on " + topic + " is not in Confluent's Avro wire format"
                    + " (expected magic byte 0 and a 4-byte schema id, got " + data.length + " bytes)");
        }
        int id = ByteBuffer.wrap(data, 1, 4).getInt();
        SpecificDatumReader<T> reader =
                readerById.computeIfAbsent(id, i -> new SpecificDatumReader<>(registry.schemaById(i), readerSchema));
        BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, 5, data.length - 5, null);
        try {
            return reader.read(null, decoder);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException(
                    "Cannot read " + readerSchema.getName() + " (schema id " + id + ") from " + topic + ": "
                            + e.getMessage(),
                    e);
        }
    }

    @Override
    public Serializer<T> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<T> deserializer() {
        return deserializer;
    }
}
