package dev.skein.integration.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.bench.BenchCommand;
import dev.skein.integration.fixtures.KafkaFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code skein bench mcp --quick} on the test broker: every one of the five paths (built-in,
 * imported over stdio and over Streamable HTTP, {@code /mcp}, {@code /v1}) answered every call and
 * has figures, printed side by side.
 */
@Tag("mcp")
class McpBenchQuickIT {

    @TempDir
    Path out;

    @Test
    void theQuickMcpBenchTimesEveryPathSideBySide() throws Exception {
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        PrintStream previous = System.out;
        int exit;
        try {
            System.setOut(new PrintStream(console, true, StandardCharsets.UTF_8));
            exit = new picocli.CommandLine(new BenchCommand())
                    .execute(
                            "mcp",
                            "--quick",
                            "--out",
                            out.toString(),
                            "--bootstrap-servers",
                            KafkaFixture.bootstrapServers());
        } finally {
            System.setOut(previous);
        }
        String printed = console.toString(StandardCharsets.UTF_8);
        System.out.println(printed);
        assertThat(exit).as(printed).isZero();
        JsonNode report = new ObjectMapper().readTree(out.resolve("mcp.json").toFile());
        assertThat(report.path("calls").asInt()).isEqualTo(20);
        for (String path : new String[] {"builtinTurn", "stdioTurn", "httpTurn", "mcpToolsCall", "apiTurn"}) {
            JsonNode latency = report.path(path);
            assertThat(latency.path("count").asLong()).as(path).isEqualTo(20);
            assertThat(latency.path("p50").asDouble()).as(path).isPositive();
            assertThat(latency.path("p99").asDouble())
                    .as(path)
                    .isGreaterThanOrEqualTo(latency.path("p50").asDouble());
        }
        assertThat(printed)
                .contains("| MCP in: the same turn calling an imported tool over stdio |")
                .contains("| MCP out: tools/call calculator over /mcp (the SDK's client) |");
    }
}
