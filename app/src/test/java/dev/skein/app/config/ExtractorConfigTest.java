package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.topologies.session.ExtractionSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@code skein.memory.extractor}: off by default, an agent that must be defined, bounds that name their key. */
class ExtractorConfigTest {

    @Test
    void offByDefaultAndReadFromTheEnvironment() {
        assertThat(SkeinConfig.defaults().sessionTopology().extraction().enabled())
                .isFalse();
        ExtractionSettings on = SkeinConfig.load(
                        Optional.empty(),
                        Map.of(),
                        Map.of("SKEIN_MEMORY_EXTRACTOR_AGENT", "demo", "SKEIN_MEMORY_EXTRACTOR_TIMEOUT", "30s"))
                .sessionTopology()
                .extraction();
        assertThat(on).isEqualTo(new ExtractionSettings("demo", Set.of(), 10, Duration.ofSeconds(30)));
        assertThat(on.extractsFrom("support")).isTrue();
    }

    @Test
    void anUndefinedExtractorOrABadBoundNamesTheKey() {
        assertThatThrownBy(() -> SkeinConfig.load(
                                Optional.empty(), Map.of(), Map.of("SKEIN_MEMORY_EXTRACTOR_AGENT", "nobody"))
                        .sessionTopology())
                .hasMessageContaining("skein.memory.extractor")
                .hasMessageContaining("extractor agent 'nobody' is not an agent");
        assertThatThrownBy(() -> SkeinConfig.load(
                                Optional.empty(),
                                Map.of(),
                                Map.of(
                                        "SKEIN_AGENTS_DEFINITIONS",
                                        "{ remote { kind = a2a, card-url = \"http://127.0.0.1:9/card.json\" } }",
                                        "SKEIN_MEMORY_EXTRACTOR_AGENT",
                                        "remote"))
                        .sessionTopology())
                .hasMessageContaining("keeps the session's conversation itself");
        assertThatThrownBy(() -> SkeinConfig.load(
                                Optional.empty(), Map.of(), Map.of("SKEIN_MEMORY_EXTRACTOR_MAX_MEMORIES", "0"))
                        .sessionTopology())
                .hasMessageContaining("skein.memory.extractor.max-memories");
    }
}
