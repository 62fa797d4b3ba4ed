package dev.skein.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.events.ToolDefinition;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.builtin.BuiltinTools;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ToolsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    record Scene(String name, int width) {}

    @Test
    void aToolDefinedInCodeCarriesEverythingItDeclares() throws Exception {
        Tool render = Tools.define("render_scene")
                .description("Renders a scene")
                .version(3)
                .arguments(Scene.class)
                .cpus(0.5)
                .memory("2g")
                .gpus(1)
                .resource("license", 1)
                .timeout(Duration.ofMinutes(5))
                .retry(Retry.none().withMaxAttempts(3).on(IOException.class))
                .cacheable(Duration.ofMinutes(10))
                .handler(scene -> scene.name() + "@" + scene.width());

        assertThat(render.run(JSON.readTree("{\"name\":\"hall\",\"width\":640}")))
                .isEqualTo("hall@640");
        assertThat(render.resources()).isEqualTo(new Resources(0.5, 1, 2L << 30, Map.of("license", 1.0)));

        ToolDefinition definition = ToolDefinitions.of(render, "w7");
        assertThat(definition.getName()).isEqualTo("render_scene");
        assertThat(definition.getDescription()).isEqualTo("Renders a scene");
        assertThat(definition.getVersion()).isEqualTo(3);
        assertThat(definition.getPublisher()).isEqualTo("w7");
        assertThat(definition.getTimeoutMs()).isEqualTo(300_000);
        assertThat(definition.getRetry().getMaxAttempts()).isEqualTo(3);
        assertThat(definition.getRetry().getRetryOn()).containsExactly("java.io.IOException");
        assertThat(definition.getCacheable()).isTrue();
        assertThat(definition.getCacheTtlMs()).isEqualTo(600_000);
        assertThat(definition.getRequiresApproval()).isFalse();
        assertThat(definition.getResources().getCustom()).containsEntry("license", 1.0);
        assertThat(JSON.readTree(definition.getParametersSchema()).get("required"))
                .extracting(n -> n.asText())
                .containsExactly("width");
    }

    @Test
    void defaultsAreOneCpuHalfAGibibyteAndNoRetries() throws Exception {
        Tool echo = Tools.define("echo").handler(args -> args.toString());

        assertThat(echo.resources()).isEqualTo(Resources.DEFAULT);
        assertThat(echo.resources().memoryBytes()).isEqualTo(512L << 20);
        assertThat(echo.version()).isEqualTo(1);
        assertThat(echo.retry()).isEqualTo(Retry.none());
        assertThat(echo.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(echo.parametersSchema()).isEqualTo("{\"type\":\"object\"}");
        assertThat(echo.run(JSON.readTree("{\"a\":1}"))).isEqualTo("{\"a\":1}");
    }

    @Test
    void badDeclarationsAreRefusedWithTheReason() {
        assertThatThrownBy(() -> Tools.define("Render Scene")).hasMessageContaining("must be 1 to 64 of a-z 0-9 _");
        assertThatThrownBy(() -> Tools.define("x").memory("lots")).hasMessageContaining("'lots' is not a size");
        assertThatThrownBy(() -> Tools.define("x").cpus(-1)).hasMessageContaining("cpus must be");
        assertThatThrownBy(() -> Tools.define("x").timeout(Duration.ZERO)).hasMessageContaining("timeout of x");
        assertThatThrownBy(() -> Tools.define("x").version(0)).hasMessageContaining("version of x");
    }

    @Test
    void theBuiltinsAreFoundByTheServiceLoader() {
        assertThat(Tools.discover())
                .extracting(Tool::name)
                .containsExactlyInAnyOrderElementsOf(
                        BuiltinTools.all().stream().map(Tool::name).toList())
                .contains("sleep", "noop");
    }
}
