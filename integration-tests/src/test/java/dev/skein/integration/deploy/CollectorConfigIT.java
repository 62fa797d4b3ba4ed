package dev.skein.integration.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.app.config.SkeinConfig;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/otel/collector.yaml}: every pipeline names only components the file defines, and
 * the collector listens where Skein's default {@code skein.tracing.endpoint} sends (OTLP/HTTP, 4318).
 */
@Tag("deploy")
class CollectorConfigIT {

    @Test
    @SuppressWarnings("unchecked")
    void thePipelineIsCompleteAndReceivesWhatSkeinSends() {
        Map<String, Object> collector = DeployFiles.documents(
                        DeployFiles.deploy().resolve("otel/collector.yaml"))
                .getFirst();
        Map<String, Object> service = (Map<String, Object>) collector.get("service");
        Map<String, Object> pipelines = (Map<String, Object>) service.get("pipelines");
        Map<String, Object> traces = (Map<String, Object>) pipelines.get("traces");

        assertThat(traces).containsKeys("receivers", "processors", "exporters");
        for (String kind : List.of("receivers", "processors", "exporters")) {
            Map<String, Object> defined = (Map<String, Object>) collector.get(kind);
            assertThat((List<String>) traces.get(kind))
                    .as(kind)
                    .isNotEmpty()
                    .allSatisfy(name -> assertThat(defined).containsKey(name));
        }
        assertThat((List<String>) service.get("extensions"))
                .allSatisfy(name -> assertThat((Map<String, Object>) collector.get("extensions"))
                        .containsKey(name));
        Map<String, Object> otlp = (Map<String, Object>) ((Map<String, Object>) collector.get("receivers")).get("otlp");
        Map<String, Object> http = (Map<String, Object>) ((Map<String, Object>) otlp.get("protocols")).get("http");
        URI skeinSendsTo = URI.create(SkeinConfig.defaults().tracing().endpoint());
        assertThat(String.valueOf(http.get("endpoint"))).endsWith(":" + skeinSendsTo.getPort());
        assertThat(skeinSendsTo.getPath()).isEqualTo("/v1/traces");
    }
}
