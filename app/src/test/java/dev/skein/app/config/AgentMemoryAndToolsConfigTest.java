package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.topologies.context.ContextSettings;
import dev.skein.topologies.context.MemoryShare;
import dev.skein.topologies.session.AgentTools;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The memories' share of a context budget and the tools of each agent, as configured. */
class AgentMemoryAndToolsConfigTest {

    @TempDir
    Path dir;

    private static final String AGENTS = """
            skein.agents {
              context { memory-share = 0.1 }
              tools = [calculator, "mcp_*"]
              definitions {
                support { kind = demo, tools = ["re*", noop], context { memory-share = 0.25, memory-limit = 3 } }
                plain { kind = demo, context { memory-share = 0 } }
              }
            }
            """;

    @Test
    void byDefaultNothingIsReservedAndEveryToolIsOffered() {
        SkeinConfig defaults = SkeinConfig.defaults();
        ContextSettings context = defaults.sessionTopology().context();
        assertThat(context.defaults().memory()).isEqualTo(new MemoryShare(0, 5));
        assertThat(context.budgetOf("demo").memoryTokens()).isZero();
        assertThat(defaults.sessionTopology().agentTools().offers("demo", "anything"))
                .isTrue();
        assertThat(defaults.memoryInjectionTimeout()).isEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void eachAgentHasItsShareAndToolsOverTheDefaults() throws Exception {
        SkeinConfig config = load(AGENTS, Map.of());
        ContextSettings context = config.sessionTopology().context();
        assertThat(context.budgetOf("support").memory()).isEqualTo(new MemoryShare(0.25, 3));
        assertThat(context.budgetOf("plain").memoryTokens()).isZero();
        assertThat(context.budgetOf("demo").memory()).isEqualTo(new MemoryShare(0.1, 5));

        AgentTools tools = config.sessionTopology().agentTools();
        assertThat(tools.offers("support", "recall")).isTrue();
        assertThat(tools.offers("support", "noop")).isTrue();
        assertThat(tools.offers("support", "calculator")).isFalse();
        assertThat(tools.offers("plain", "calculator")).isTrue();
        assertThat(tools.offers("plain", "mcp_files_read")).isTrue();
        assertThat(tools.offers("plain", "recall")).isFalse();
        // The list is the topology's: the adapter does not get it among its options.
        assertThat(config.agents().stream()
                        .filter(a -> a.name().equals("support"))
                        .findFirst()
                        .orElseThrow()
                        .options())
                .doesNotContainKey("tools");
    }

    @Test
    void withMemoryOffNoShareIsKept() throws Exception {
        ContextSettings context = load(AGENTS, Map.of("skein.memory.enabled", false))
                .sessionTopology()
                .context();
        assertThat(context.budgetOf("support").memoryTokens()).isZero();
        assertThat(context.defaults().memoryTokens()).isZero();
    }

    @Test
    void badValuesNameTheirKey() throws Exception {
        assertThatThrownBy(() -> load("skein.agents.context.memory-share = 0.9", Map.of())
                        .sessionTopology())
                .hasMessageContaining("skein.agents.context")
                .hasMessageContaining("memory-share must be between 0 and 0.5");
        assertThatThrownBy(() -> load(
                                "skein.agents.definitions.support { kind = demo, context.memory-limit = 0 }", Map.of())
                        .sessionTopology())
                .hasMessageContaining("skein.agents.definitions.support.context")
                .hasMessageContaining("memory-limit");
        assertThatThrownBy(
                        () -> load("skein.agents.tools = [\"Calc\"]", Map.of()).sessionTopology())
                .hasMessageContaining("skein.agents.tools")
                .hasMessageContaining("'Calc' is not a tool name or glob");
        assertThatThrownBy(() -> load("skein.agents.definitions.support { kind = demo, tools = calculator }", Map.of())
                        .sessionTopology())
                .hasMessageContaining("skein.agents.definitions.support.tools")
                .hasMessageContaining("list of tool names or globs");
    }

    private SkeinConfig load(String text, Map<String, Object> flags) throws Exception {
        Path file = dir.resolve("skein.conf");
        Files.writeString(file, text);
        return SkeinConfig.load(Optional.of(file), flags, Map.of());
    }
}
