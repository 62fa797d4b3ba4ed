package dev.skein.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpServer;
import dev.skein.app.kafka.LocalKafka;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.tracing.ProcessTracing;
import dev.skein.app.tracing.TracingSettings;
import io.opentelemetry.api.GlobalOpenTelemetry;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;

/**
 * {@code skein bench tracing}: what tracing costs a simple turn. One whole node in this JVM on an
 * embedded broker; the same simple turn ({@code POST .../turns?wait}) is sent one at a time, first
 * with tracing off (no SDK: the cost is a header lookup per record), then with the SDK started in
 * this process (sampling every turn, batching to a local OTLP/HTTP endpoint that accepts and
 * drops), in alternating blocks of 25 on the same warm node: the latencies side by side, and what
 * was exported. Between blocks the process's SDK is removed again ({@code resetForTest}, the only
 * way OpenTelemetry offers to unset it: acceptable in a benchmark, never in the product).
 */
final class TracingBench {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final int WARM_UP = 20;
    private static final int BLOCK = 25;

    record Options(int turns, Path out) {}

    /** @param exports OTLP requests the collector got during the traced phase, and their bytes */
    record Report(int turns, Latency off, Latency on, long exports, long exportedBytes) {}

    private final Options options;
    private final PrintStream console;

    TracingBench(Options options, PrintStream console) {
        this.options = options;
        this.console = console;
    }

    Report run() throws Exception {
        Path work = Files.createTempDirectory("skein-tracing-bench");
        AtomicLong exports = new AtomicLong();
        AtomicLong bytes = new AtomicLong();
        HttpServer collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            try (exchange) {
                bytes.addAndGet(exchange.getRequestBody().readAllBytes().length);
                exports.incrementAndGet();
                exchange.sendResponseHeaders(200, -1);
            }
        });
        collector.start();
        try (LocalKafka kafka = new LocalKafka(LocalKafka.Options.inDirectory(work.resolve("kafka"))).start();
                BenchNode node = BenchNode.start(kafka.bootstrapServers(), "tracing.", work.resolve("node"))) {
            console.printf(
                    "Tracing: %d simple turns with tracing off and %d with it on, in alternating blocks of %d ...%n",
                    turns(), turns(), BLOCK);
            TracingSettings settings = new TracingSettings(
                    true,
                    "http://127.0.0.1:" + collector.getAddress().getPort() + "/v1/traces",
                    "skein-bench",
                    1.0,
                    Duration.ofSeconds(10),
                    Duration.ofSeconds(1),
                    512,
                    Map.of());
            Histogram off = Latency.histogram();
            Histogram on = Latency.histogram();
            warmUp(node.httpPort());
            for (int done = 0; done < turns(); done += BLOCK) {
                int block = Math.min(BLOCK, turns() - done);
                phase(node.httpPort(), off, block);
                // The SDK is the process's: started for one block, flushed and removed after it, so that
                // both kinds of turn see the same machine, whatever else runs on it meanwhile.
                try (ProcessTracing tracing = ProcessTracing.start(
                        settings, java.util.List.of(SkeinNode.Role.CORE.name().toLowerCase()))) {
                    phase(node.httpPort(), on, block);
                } finally {
                    GlobalOpenTelemetry.resetForTest();
                }
            }
            return new Report(turns(), Latency.of(off), Latency.of(on), exports.get(), bytes.get());
        } finally {
            collector.stop(0);
        }
    }

    private int turns() {
        return options.turns();
    }

    private static void warmUp(int port) throws IOException, InterruptedException {
        for (int i = 0; i < WARM_UP; i++) {
            turn(port, i);
        }
    }

    private static void phase(int port, Histogram into, int turns) throws IOException, InterruptedException {
        for (int i = 0; i < turns; i++) {
            into.recordValue(turn(port, i));
        }
    }

    private static long turn(int port, int i) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/sessions/tracing-" + (i & 7) + "/turns?wait=30s"))
                .header("content-type", "application/json")
                .timeout(Duration.ofSeconds(40))
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"message\":\"" + SkeinBench.SIMPLE_MESSAGE + "\",\"turnId\":\"" + UUID.randomUUID() + "\"}"))
                .build();
        long start = System.nanoTime();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        long nanos = System.nanoTime() - start;
        if (response.statusCode() != 200 || !response.body().contains("COMPLETED")) {
            throw new IllegalStateException("turn answered " + response.statusCode() + ": " + response.body());
        }
        return nanos;
    }

    void write(Report report) throws IOException {
        Files.createDirectories(options.out());
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(options.out().resolve("tracing.json").toFile(), report);
        console.println();
        console.println("| simple turn over HTTP (?wait) | tracing off | tracing on |");
        console.println("|---|---:|---:|");
        console.printf(
                "| turns | %d | %d |%n", report.off().count(), report.on().count());
        console.printf(
                "| p50 ms | %.2f | %.2f |%n", report.off().p50(), report.on().p50());
        console.printf(
                "| p90 ms | %.2f | %.2f |%n", report.off().p90(), report.on().p90());
        console.printf(
                "| p99 ms | %.2f | %.2f |%n", report.off().p99(), report.on().p99());
        console.printf(
                "| mean ms | %.2f | %.2f |%n", report.off().mean(), report.on().mean());
        console.printf("OTLP exports while tracing: %d requests, %d bytes%n", report.exports(), report.exportedBytes());
    }
}
