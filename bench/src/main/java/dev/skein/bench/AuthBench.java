package dev.skein.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.skein.app.kafka.LocalKafka;
import dev.skein.ingress.auth.ApiKeys;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.HdrHistogram.Histogram;

/**
 * {@code skein bench auth}: what authentication costs a turn. Two nodes in this JVM on one
 * embedded broker, one open and one with {@code skein.auth.enabled} (an API key from the
 * configuration and HS256 JWTs); the same simple turn ({@code POST .../turns?wait}) is sent one at a
 * time to each, alternating, so both see the same machine; the latency of each kind of request is
 * set side by side.
 */
final class AuthBench {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Options(int turns, Path out) {}

    record Report(int turns, Latency open, Latency apiKey, Latency jwtHs256) {}

    private final Options options;
    private final PrintStream console;

    AuthBench(Options options, PrintStream console) {
        this.options = options;
        this.console = console;
    }

    Report run() throws Exception {
        Path work = Files.createTempDirectory("skein-auth-bench");
        String key = ApiKeys.generate();
        byte[] secretBytes = new byte[32];
        new SecureRandom().nextBytes(secretBytes);
        String secret = HexFormat.of().formatHex(secretBytes);
        Map<String, Object> auth = new LinkedHashMap<>();
        auth.put("skein.auth.enabled", true);
        auth.put(
                "skein.auth.api-keys",
                List.of(Map.of(
                        "id",
                        ApiKeys.idOf(key),
                        "sha256",
                        ApiKeys.sha256(key),
                        "tenant",
                        "bench",
                        "roles",
                        List.of("user"))));
        auth.put("skein.auth.api-keys-topic", false);
        auth.put("skein.auth.jwt.enabled", true);
        auth.put("skein.auth.jwt.issuer", "bench");
        auth.put("skein.auth.jwt.audiences", List.of("skein"));
        auth.put("skein.auth.jwt.hs256-secret", secret);
        Vertx vertx = Vertx.vertx();
        try (LocalKafka kafka = new LocalKafka(LocalKafka.Options.inDirectory(work.resolve("kafka"))).start();
                BenchNode open = BenchNode.start(kafka.bootstrapServers(), "auth-open.", work.resolve("open"));
                BenchNode secured = BenchNode.start(kafka.bootstrapServers(), "auth-on.", work.resolve("on"), auth)) {
            String token = JWTAuth.create(
                            vertx,
                            new JWTAuthOptions()
                                    .addPubSecKey(new PubSecKeyOptions()
                                            .setAlgorithm("HS256")
                                            .setBuffer(secret)))
                    .generateToken(
                            new JsonObject().put("sub", "bench-user").put("tenant", "bench"),
                            new JWTOptions()
                                    .setIssuer("bench")
                                    .setAudience(List.of("skein"))
                                    .setExpiresInSeconds(3600));
            Histogram openNanos = Latency.histogram();
            Histogram keyNanos = Latency.histogram();
            Histogram jwtNanos = Latency.histogram();
            console.printf(
                    "Auth: %d simple turns to each of: an open node, a key, a JWT (HS256) ...%n", options.turns());
            for (int i = -10; i < options.turns(); i++) {
                // The first ten of each are warm-up, not counted.
                record(i, openNanos, turn(open.httpPort(), null, i));
                record(i, keyNanos, turn(secured.httpPort(), "Bearer " + key, i));
                record(i, jwtNanos, turn(secured.httpPort(), "Bearer " + token, i));
            }
            return new Report(options.turns(), Latency.of(openNanos), Latency.of(keyNanos), Latency.of(jwtNanos));
        } finally {
            vertx.close();
        }
    }

    private static void record(int i, Histogram into, long nanos) {
        if (i >= 0) {
            into.recordValue(nanos);
        }
    }

    private static long turn(int port, String authorization, int i) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/sessions/auth-" + (i & 7) + "/turns?wait=30s"))
                .header("content-type", "application/json")
                .timeout(Duration.ofSeconds(40))
                .POST(HttpRequest.BodyPublishers.ofString("{\"message\":\"" + SkeinBench.SIMPLE_MESSAGE
                        + "\",\"turnId\":\"" + UUID.randomUUID() + "\"}"));
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        long start = System.nanoTime();
        HttpResponse<String> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
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
                .writeValue(options.out().resolve("auth.json").toFile(), report);
        console.println();
        console.println("| simple turn over HTTP (?wait) | open | API key | JWT HS256 |");
        console.println("|---|---:|---:|---:|");
        console.printf(
                "| turns | %d | %d | %d |%n",
                report.open().count(),
                report.apiKey().count(),
                report.jwtHs256().count());
        console.printf(
                "| p50 ms | %.2f | %.2f | %.2f |%n",
                report.open().p50(), report.apiKey().p50(), report.jwtHs256().p50());
        console.printf(
                "| p99 ms | %.2f | %.2f | %.2f |%n",
                report.open().p99(), report.apiKey().p99(), report.jwtHs256().p99());
    }
}
