package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.app.tracing.TracingSettings;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code skein.tracing}: off by default, set from the environment, and a bad value names its key. */
class TracingConfigTest {

    @Test
    void tracingIsOffByDefaultWithTheCollectorsLocalEndpoint() {
        TracingSettings tracing = SkeinConfig.defaults().tracing();

        assertThat(tracing.enabled()).isFalse();
        assertThat(tracing.endpoint()).isEqualTo("http://localhost:4318/v1/traces");
        assertThat(tracing.serviceName()).isEqualTo("skein");
        assertThat(tracing.samplerRatio()).isEqualTo(1.0);
        assertThat(tracing.exportTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(tracing.headers()).isEmpty();
    }

    @Test
    void everyKeyHasItsEnvironmentVariable() {
        TracingSettings tracing = SkeinConfig.load(
                        Optional.empty(),
                        Map.of(),
                        Map.of(
                                "SKEIN_TRACING_ENABLED", "true",
                                "SKEIN_TRACING_ENDPOINT", "https://otel.example.com:4318/v1/traces",
                                "SKEIN_TRACING_SERVICE_NAME", "skein-core",
                                "SKEIN_TRACING_SAMPLER_RATIO", "0.25",
                                "SKEIN_TRACING_HEADERS", "{Authorization = \"Bearer t0k\"}"))
                .tracing();

        assertThat(tracing.enabled()).isTrue();
        assertThat(tracing.endpoint()).isEqualTo("https://otel.example.com:4318/v1/traces");
        assertThat(tracing.serviceName()).isEqualTo("skein-core");
        assertThat(tracing.samplerRatio()).isEqualTo(0.25);
        assertThat(tracing.headers()).containsEntry("Authorization", "Bearer t0k");
    }

    @Test
    void aBadRatioOrEndpointFailsTheStartNamingTheKey() {
        assertThatThrownBy(() -> SkeinConfig.load(Optional.empty(), Map.of("skein.tracing.sampler-ratio", 2), Map.of()))
                .hasMessageContaining("skein.tracing.sampler-ratio")
                .hasMessageContaining("between 0.0 and 1.0");
        assertThatThrownBy(() -> SkeinConfig.load(
                        Optional.empty(), Map.of("skein.tracing.endpoint", "localhost:4318"), Map.of()))
                .hasMessageContaining("skein.tracing.endpoint")
                .hasMessageContaining("http or https URL");
    }
}
