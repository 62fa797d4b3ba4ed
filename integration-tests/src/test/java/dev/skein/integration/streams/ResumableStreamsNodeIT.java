package dev.skein.integration.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Streams read by a client of another stack: a plain Node.js client ({@code src/test/node/sse-client.mjs},
 * node's own http module) that drops at random and resumes with {@code Last-Event-ID} as an
 * EventSource does; and 10,000 idle Node streams on one instance, then one turn that every one of
 * them receives, with the heap each stream costs the instance. Skipped where {@code node} is not
 * installed.
 */
@Tag("streams")
class ResumableStreamsNodeIT {

    private static final int PARTITIONS = 4;
    private static final Path SCRIPT = Path.of("src/test/node/sse-client.mjs").toAbsolutePath();
    private static SkeinNode node;
    private static int port;
    private static SkeinClient client;

    @BeforeAll
    static void start() throws Exception {
        assumeThat(nodeInstalled()).as("node is installed").isTrue();
        SkeinConfig config = TestNodes.config("streams-node", Map.of("skein.topics.partitions", PARTITIONS));
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false);
        port = node.httpPort().orElseThrow();
        client = new SkeinClient(port);
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aNodeClientThatDropsAndResumesWithLastEventIdSeesEveryEventOnceInOrder() throws Exception {
        String session = "node-resume";
        int turns = 20;
        Process process = node("resume", "/v1/sessions/" + session + "/events", String.valueOf(turns), "5");
        BlockingQueue<String> lines = lines(process);
        Thread.sleep(500); // the client connects before the first turn: it must see every event
        Thread submitter = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < turns; i++) {
                client.postTurn(session, "what is " + i + " plus 2?", true);
            }
        });
        List<String> seen = new ArrayList<>();
        int reconnects = 0;
        try {
            String line;
            while ((line = lines.poll(60, TimeUnit.SECONDS)) != null && !line.equals("EOF")) {
                JsonNode json = SkeinClient.JSON.readTree(line);
                if (json.has("reconnect")) {
                    reconnects++;
                } else {
                    seen.add(json.path("id").asText());
                }
            }
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue())
                    .as(new String(process.getErrorStream().readAllBytes()))
                    .isZero();
        } finally {
            process.destroyForcibly();
            submitter.join(Duration.ofSeconds(60));
        }
        assertThat(reconnects).isGreaterThan(3);
        assertThat(seen).isEqualTo(SessionStreamRecords.positions(node, "default/" + session, PARTITIONS));
    }

    @Test
    void tenThousandIdleStreamsOnOneInstanceAllGetTheNextTurnAndTheirCostIsReported() throws Exception {
        int streams = 10_000;
        String session = "crowd";
        long heapBefore = settledHeap();
        long directBefore = direct();
        Process process = node("idle", "/v1/sessions/" + session + "/events", String.valueOf(streams));
        BlockingQueue<String> lines = lines(process);
        try {
            String open = lines.poll(180, TimeUnit.SECONDS);
            if (!("{\"open\":" + streams + "}").equals(open)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError("the Node client did not open " + streams + " streams (" + open + "): "
                        + new String(process.getErrorStream().readNBytes(2000), StandardCharsets.UTF_8));
            }
            long heapPerStream = (settledHeap() - heapBefore) / streams;
            long directPerStream = (direct() - directBefore) / streams;
            System.out.printf(
                    "| %d idle SSE streams on one instance | heap per stream %d bytes | direct buffers per stream %d bytes |%n",
                    streams, heapPerStream, directPerStream);
            long sent = System.nanoTime();
            assertThat(client.postTurn(session, "hello crowd", true).status()).isEqualTo(200);
            String completed = lines.poll(120, TimeUnit.SECONDS);
            System.out.printf(
                    "| one turn reached all %d streams | %d ms after it was posted |%n",
                    streams, (System.nanoTime() - sent) / 1_000_000);
            assertThat(completed).isEqualTo("{\"completed\":" + streams + "}");
            assertThat(heapPerStream).as("heap per idle stream, in bytes").isLessThan(64 * 1024);
        } finally {
            process.destroyForcibly();
        }
    }

    private static long settledHeap() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(200);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    private static long direct() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(pool -> pool.getName().equals("direct"))
                .mapToLong(BufferPoolMXBean::getMemoryUsed)
                .sum();
    }

    private static Process node(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("node", SCRIPT.toString(), args[0], String.valueOf(port)));
        command.addAll(List.of(args).subList(1, args.length));
        return new ProcessBuilder(command).start();
    }

    /** The process's stdout lines, then "EOF". */
    private static BlockingQueue<String> lines(Process process) {
        BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader reader =
                    new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException e) {
                // The process went away: EOF says so.
            } finally {
                lines.add("EOF");
            }
        });
        return lines;
    }

    private static boolean nodeInstalled() {
        try {
            return Files.exists(SCRIPT)
                    && new ProcessBuilder("node", "--version").start().waitFor(10, TimeUnit.SECONDS);
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
