package dev.skein.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Properties;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

/** The id rule of the embedded registry, which must never change: ids are in every stored record. */
class EmbeddedSchemaRegistryIdTest {

    private static final Schema GREETING = parse("""
            {"type":"record","name":"Greeting","namespace":"test","fields":[{"name":"text","type":"string"}]}""");

    private static final String COLLIDER = """
            {"type":"record","name":"Collider","namespace":"test","fields":[{"name":"%s","type":"string"}]}""";

    @Test
    void theIdIsTheFoldedParsingFingerprintAndStaysTheSameForever() {
        assertThat(SchemaNormalization.parsingFingerprint64(GREETING)).isEqualTo(0x9b05bb2a22e7c2f4L);
        // 0x9b05bb2a ^ 0x22e7c2f4 = 0xb9e279de, without its sign bit 0x39e279de.
        assertThat(EmbeddedSchemaRegistry.idOf(GREETING)).isEqualTo(0x39e279de).isEqualTo(971_143_646);
    }

    @Test
    void whatDoesNotChangeTheEncodingDoesNotChangeTheId() {
        Schema documented = parse("""
                {"type":"record","name":"Greeting","namespace":"test","doc":"Says hello.",
                 "fields":[{"name":"text","type":"string","doc":"The words.","aliases":["words"]}]}""");

        assertThat(EmbeddedSchemaRegistry.idOf(documented)).isEqualTo(EmbeddedSchemaRegistry.idOf(GREETING));
    }

    @Test
    void aDifferentEncodingGetsADifferentPositiveId() {
        Schema twoFields = parse("""
                {"type":"record","name":"Greeting","namespace":"test",
                 "fields":[{"name":"text","type":"string"},{"name":"lang","type":"string","default":"en"}]}""");

        assertThat(EmbeddedSchemaRegistry.idOf(twoFields))
                .isPositive()
                .isNotEqualTo(EmbeddedSchemaRegistry.idOf(GREETING));
        assertThat(EmbeddedSchemaRegistry.idOf(Schema.create(Schema.Type.STRING)))
                .isPositive();
    }

    @Test
    void differentSchemasCanFoldToTheSameId() {
        // Found by a birthday search over random field names; the registry refuses the second (409).
        Schema first = parse(COLLIDER.formatted("fyzkfuhf3bxj2"));
        Schema second = parse(COLLIDER.formatted("ffd64u09qjmmq"));

        assertThat(SchemaNormalization.toParsingForm(first)).isNotEqualTo(SchemaNormalization.toParsingForm(second));
        assertThat(EmbeddedSchemaRegistry.idOf(first))
                .isEqualTo(EmbeddedSchemaRegistry.idOf(second))
                .isEqualTo(311_380_947);
    }

    @Test
    void theDefaultTopicFollowsThePrefix() {
        assertThat(EmbeddedSchemaRegistry.defaultTopic("skein.")).isEqualTo("skein._schemas");
    }

    @Test
    void badSettingsAreRefusedBeforeAnyConnection() {
        assertThatThrownBy(() -> new EmbeddedSchemaRegistry(" ", "skein._schemas", (short) 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bootstrap servers");
        assertThatThrownBy(() -> new EmbeddedSchemaRegistry("localhost:9092", "bad topic", (short) 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'bad topic'");
        assertThatThrownBy(() -> new EmbeddedSchemaRegistry("localhost:9092", "skein._schemas", (short) 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("replication factor");
        assertThatThrownBy(() -> new EmbeddedSchemaRegistry(
                        new Properties(), "skein._schemas", (short) 1, EmbeddedSchemaRegistry.DEFAULT_TIMEOUT))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bootstrap.servers");
    }

    private static Schema parse(String json) {
        return new Schema.Parser().parse(json);
    }
}
