package dev.skein.integration.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.schemas.resources.Resources;
import dev.skein.workers.Tool;
import dev.skein.workers.ToolDefinitions;
import dev.skein.workers.mcp.McpServerSpec;
import dev.skein.workers.mcp.McpToolSource;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A remote MCP server's {@code readOnlyHint} decides whether its tool is free of side effects (so
 * dispatched speculatively on a {@code by-tool} tier) only where the server's entry trusts the hint
 * ({@code trust-read-only-hint}); by default every imported tool waits for the commit. The server is
 * {@link TestMcpServer} over Streamable HTTP: {@code echo} says read-only, {@code fail} says not,
 * {@code grow} says nothing.
 */
@Tag("mcp")
class McpReadOnlyHintIT {

    private static TestMcpServer.Http server;
    private McpToolSource source;
    private final OfferedTools offers = new OfferedTools();
    private final Map<String, Tool> offered = offers.byName;

    @BeforeAll
    static void startServer() throws Exception {
        server = TestMcpServer.http();
    }

    @AfterAll
    static void stopServer() throws Exception {
        server.close();
    }

    @AfterEach
    void disconnect() {
        if (source != null) {
            source.close();
        }
    }

    @Test
    void byDefaultAReadOnlyHintIsNotBelievedAndEveryToolHasSideEffects() {
        connect(List.of());
        assertThat(sideEffects("echo")).isTrue();
        assertThat(sideEffects("fail")).isTrue();
        assertThat(sideEffects("grow")).isTrue();
    }

    @Test
    void aTrustedServersReadOnlyToolIsFreeOfSideEffectsAndTheOthersAreNot() {
        connect(List.of("*"));
        assertThat(sideEffects("echo")).isFalse();
        assertThat(ToolDefinitions.of(offered.get("echo"), "w1").getSideEffects())
                .isFalse();
        // readOnlyHint: false, and no annotations at all (MCP's default is not read-only).
        assertThat(sideEffects("fail")).isTrue();
        assertThat(sideEffects("grow")).isTrue();
    }

    @Test
    void trustNamedForOneToolLeavesTheServersOtherHintsUnbelieved() {
        connect(List.of("grow"));
        assertThat(sideEffects("echo")).isTrue();
        assertThat(sideEffects("grow")).isTrue();
    }

    private boolean sideEffects(String tool) {
        return offered.get(tool).sideEffects();
    }

    private void connect(List<String> trustReadOnlyHint) {
        McpServerSpec spec = new McpServerSpec(
                "remote",
                List.of(),
                URI.create(server.url()),
                Map.of(),
                "small",
                Resources.NONE,
                Duration.ofSeconds(20),
                0,
                List.of(),
                Map.of(),
                List.of(),
                List.of(),
                trustReadOnlyHint,
                null);
        source = new McpToolSource(spec, offers);
        source.start();
        await().atMost(Duration.ofSeconds(30))
                .until(() -> offered.keySet().containsAll(List.of("echo", "fail", "grow")));
    }
}
