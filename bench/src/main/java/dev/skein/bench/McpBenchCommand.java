package dev.skein.bench;

import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code skein bench mcp}: see {@link McpBench}. */
@Command(
        name = "mcp",
        mixinStandardHelpOptions = true,
        description = "Tool-call latency through MCP, in and out, beside the built-in calculator: a turn calling"
                + " calculator, the same turn calling an imported MCP tool over stdio and over Streamable HTTP"
                + " (servers the bench starts), tools/call calculator over /mcp, and the calculation as a turn"
                + " over /v1; p50 and p99 side by side.")
final class McpBenchCommand implements Callable<Integer> {
    @Option(names = "--quick", description = "20 calls of each kind.")
    boolean quick;

    @Option(names = "--calls", description = "Calls of each kind (default 300; quick 20).")
    Integer calls;

    @Option(
            names = "--out",
            defaultValue = "bench-results",
            description = "Where mcp.json goes (default bench-results).")
    Path out;

    @Option(names = "--bootstrap-servers", description = "Kafka to use; default: an embedded broker in a temp dir.")
    String bootstrapServers;

    @Override
    public Integer call() throws Exception {
        McpBench bench = new McpBench(
                new McpBench.Options(
                        calls != null ? calls : quick ? 20 : 300, out, Optional.ofNullable(bootstrapServers)),
                System.out);
        bench.write(bench.run());
        return 0;
    }
}
