package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Generated hostile input, from a fixed seed: broken and mistyped JSON, sizes at and past every
 * limit, bad ids and tenants, wrong methods, content types and headers, protocol garbage, unknown
 * ids, and WebSocket frames. Whatever comes in: no 5xx, every error body is JSON, nothing hangs
 * past the timeouts, and the server serves a normal request afterwards.
 */
class HostileInputFuzzTest {

    private static final long SEED = 20_261_201L;
    private static final int MAX_MESSAGE_BYTES = 1024;
    private static final int MAX_BODY_BYTES = 6 * MAX_MESSAGE_BYTES + 4096;
    private static final int HEADER_TIMEOUT_MS = 400;
    private static final int IDLE_TIMEOUT_MS = 1_000;
    /** No case may take longer: the slowest ones are cut by the idle timeout. */
    private static final int CASE_LIMIT_MS = IDLE_TIMEOUT_MS + 2_000;

    private static final List<String> ROUTES = List.of(
            "/v1/sessions/s/turns",
            "/v1/sessions/s/history",
            "/v1/sessions/s/turns/t1/trace",
            "/v1/sessions/s/stream",
            "/v1/sessions/s/turns/t1/cancel",
            "/v1/sessions/s/tool-calls/c1/approve",
            "/v1/sessions/s/tool-calls/c1/deny",
            "/v1/tools",
            "/v1/workers",
            "/health",
            "/metrics");
    private static final List<String> METHODS =
            List.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "BREW");

    private static SkeinIngress ingress;
    private static int port;

    @BeforeAll
    static void start() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder()
                                .maxMessageBytes(MAX_MESSAGE_BYTES)
                                .waits(Duration.ofMillis(100), Duration.ofMillis(300))
                                .idleTimeout(Duration.ofMillis(IDLE_TIMEOUT_MS))
                                .requestHeaderTimeout(Duration.ofMillis(HEADER_TIMEOUT_MS))
                                .build(),
                        new RecordingGateway(),
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .history(new FakeHistory())
                .build();
        port = ingress.start();
    }

    @AfterAll
    static void stop() {
        ingress.close();
    }

    /** One generated input; {@code mayCloseSilently}: cut by a timeout or a reset rather than answered. */
    record Case(String category, byte[] request, boolean mayCloseSilently) {}

    /** One generated WebSocket exchange: frames written after the handshake. */
    record WsCase(String category, List<Frame> frames) {}

    record Frame(boolean fin, int opcode, byte[] payload) {}

    @Test
    void hostileInputGetsA4xxWithJsonOrAClosedConnectionAndTheServerKeepsServing() throws Exception {
        Random random = new Random(SEED);
        List<Case> cases = new ArrayList<>();
        generate(cases, 200, () -> brokenJson(random));
        generate(cases, 200, () -> mistypedJson(random));
        sizes(cases);
        generate(cases, 150, () -> badIds(random));
        for (String route : ROUTES) {
            for (String method : METHODS) {
                cases.add(new Case("methods", request(method, route, "{\"message\":\"hi\"}", Map.of()), false));
            }
        }
        generate(cases, 60, () -> contentTypes(random));
        generate(cases, 80, () -> headers(random));
        protocol(cases, random);
        generate(cases, 80, () -> query(random));
        generate(cases, 40, () -> unknownIds(random));
        List<WsCase> wsCases = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            wsCases.add(webSocketCase(random));
        }

        Map<String, Map<String, AtomicInteger>> tally = new ConcurrentHashMap<>();
        List<String> violations = java.util.Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> running = new ArrayList<>();
            for (Case c : cases) {
                running.add(pool.submit(() -> run(c, tally, violations)));
            }
            for (WsCase c : wsCases) {
                running.add(pool.submit(() -> run(c, tally, violations)));
            }
            for (Future<?> f : running) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000;

        StringBuilder report = new StringBuilder("hostile input, seed " + SEED + ", " + (cases.size() + wsCases.size())
                + " cases in " + seconds + " s\n");
        new TreeMap<>(tally)
                .forEach((category, outcomes) -> report.append(String.format(
                        "  %-14s %4d  %s%n",
                        category,
                        outcomes.values().stream().mapToInt(AtomicInteger::get).sum(),
                        new TreeMap<>(outcomes))));
        System.out.println(report);
        assertThat(cases.size() + wsCases.size()).isGreaterThanOrEqualTo(1_000);
        assertThat(violations).as(report.toString()).isEmpty();

        RawHttp.Response health = RawHttp.send(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n", 5_000);
        RawHttp.Response turn = RawHttp.send(
                port,
                "POST /v1/sessions/after/turns HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\n\r\n{\"message\":\"hi\"}",
                5_000);
        assertThat(health.status()).isEqualTo(200);
        assertThat(turn.status()).isEqualTo(202);
    }

    private static void run(Case c, Map<String, Map<String, AtomicInteger>> tally, List<String> violations) {
        String outcome;
        long begin = System.nanoTime();
        try {
            RawHttp.Response response = RawHttp.send(port, c.request(), CASE_LIMIT_MS);
            if (response.status() == -1) {
                outcome = "closed";
                if (!c.mayCloseSilently()) {
                    violations.add(c.category() + ": closed without an answer: " + preview(c.request()));
                }
            } else {
                outcome = String.valueOf(response.status());
                if (response.status() == 504 && c.category().equals("query") && response.hasJsonError()) {
                    // the documented answer to a wait that ran out; the turn keeps running
                } else if (response.status() == 501 && unknownVersion(c)) {
                    // Vert.x answers an HTTP version other than 1.0 and 1.1 before any handler of ours
                } else if (response.status() >= 500) {
                    violations.add(c.category() + ": " + response + " for " + preview(c.request()));
                } else if (response.status() >= 400 && !response.hasJsonError() && !isHead(c)) {
                    violations.add(
                            c.category() + ": error without a JSON body: " + response + " for " + preview(c.request()));
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            outcome = "hung";
            violations.add(
                    c.category() + ": no answer nor close within " + CASE_LIMIT_MS + " ms: " + preview(c.request()));
        } catch (IOException | RuntimeException e) {
            outcome = c.mayCloseSilently() ? "reset" : "broken";
            if (!c.mayCloseSilently()) {
                violations.add(c.category() + ": " + e + " for " + preview(c.request()));
            }
        }
        long millis = (System.nanoTime() - begin) / 1_000_000;
        if (millis > CASE_LIMIT_MS + 500) {
            violations.add(c.category() + ": took " + millis + " ms: " + preview(c.request()));
        }
        count(tally, c.category(), outcome);
    }

    private static void run(WsCase c, Map<String, Map<String, AtomicInteger>> tally, List<String> violations) {
        String outcome;
        try (RawWebSocket ws = RawWebSocket.open(port, "/v1/sessions/ws/stream", CASE_LIMIT_MS)) {
            for (Frame frame : c.frames()) {
                ws.frame(frame.fin(), frame.opcode(), frame.payload());
            }
            ws.frame(true, RawWebSocket.CLOSE, RawWebSocket.closePayload(1000, "done"));
            RawWebSocket.Outcome closed = ws.readUntilClose();
            outcome = "close " + closed.closeCode();
            if (!List.of(1000, 1002, 1007, 1009).contains(closed.closeCode())) {
                violations.add(c.category() + ": closed with " + closed + " after " + describe(c));
            }
            for (String text : closed.texts()) {
                if (!text.startsWith("{\"type\":")) {
                    violations.add(c.category() + ": a frame that is not JSON: " + text);
                }
            }
        } catch (IOException e) {
            outcome = "broken";
            violations.add(c.category() + ": " + e + " after " + describe(c));
        }
        count(tally, c.category(), outcome);
    }

    private static void count(Map<String, Map<String, AtomicInteger>> tally, String category, String outcome) {
        tally.computeIfAbsent(category, k -> new ConcurrentHashMap<>())
                .computeIfAbsent(outcome, k -> new AtomicInteger())
                .incrementAndGet();
    }

    private static boolean unknownVersion(Case c) {
        String text = new String(c.request(), StandardCharsets.ISO_8859_1);
        int eol = text.indexOf("\r\n");
        String line = eol < 0 ? text : text.substring(0, eol);
        return line.matches("[A-Z]+ \\S+ HTTP/(?!1\\.[01]$).*");
    }

    private static boolean isHead(Case c) {
        return new String(c.request(), 0, Math.min(5, c.request().length), StandardCharsets.ISO_8859_1)
                .startsWith("HEAD ");
    }

    // --- generators ---

    private static void generate(List<Case> cases, int n, Supplier<Case> generator) {
        for (int i = 0; i < n; i++) {
            cases.add(generator.get());
        }
    }

    private static final List<String> VALID = List.of(
            "{\"message\":\"hello\"}",
            "{\"message\":\"hi\",\"agent\":\"demo\",\"turnId\":\"t-1\",\"timeoutMs\":5000}",
            "{\"message\":\"caf\u00e9 \ud83d\ude00\",\"turnId\":\"x.y_z\"}");

    private static Case brokenJson(Random random) {
        String valid = VALID.get(random.nextInt(VALID.size()));
        String body = switch (random.nextInt(10)) {
            case 0 -> valid.substring(0, random.nextInt(valid.length()));
            case 1 -> valid + pick(random, "}", "]", ",", " x", "\u0000", "{}", "// c", "\n/* c */");
            case 2 -> valid.replace(":", pick(random, "", "=", "::", " : /* c */ "));
            case 3 -> "{" + pick(random, "'message':'hi'", "message:\"hi\"", "\"message\":'hi'") + "}";
            case 4 -> "[".repeat(1 + random.nextInt(2000)) + "]".repeat(random.nextInt(2000));
            case 5 ->
                "{\"message\":" + "{\"a\":".repeat(1 + random.nextInt(100)) + "1" + "}".repeat(random.nextInt(101))
                        + "}";
            case 6 -> flipBytes(random, valid);
            case 7 ->
                "{\"message\":\"" + pick(random, "\\ud800", "\\udc00", "\\u12", "\\x41", "\\", "\t", "\u0001") + "\"}";
            case 8 -> "{\"message\":\"hi\",\"message\":\"again\"}";
            default -> pick(random, "null", "true", "1", "\"hi\"", "NaN", "Infinity", "{}", "[]", " ", "\ufeff{}");
        };
        return new Case("json-broken", request("POST", "/v1/sessions/s/turns", body, Map.of()), false);
    }

    private static Case mistypedJson(Random random) {
        String field = pick(
                random,
                "message",
                "agent",
                "turnId",
                "timeoutMs",
                "doubleTexting",
                "sticky",
                "reason",
                "mesage",
                "",
                "\u200b");
        String value = pick(
                random,
                "1",
                "-1",
                "0",
                "1.5",
                "1e400",
                "-0",
                "99999999999999999999999",
                "[]",
                "[\"hi\"]",
                "{}",
                "null",
                "true",
                "\"\"",
                "\"   \"",
                "\"\u200b\"",
                "\"\u202e\"",
                "\"a/b\"",
                "\"" + "x".repeat(200) + "\"");
        String body = field.equals("message")
                ? "{\"message\":" + value + "}"
                : "{\"message\":\"hi\",\"" + field + "\":" + value + "}";
        String route = random.nextInt(4) == 0 ? "/v1/sessions/s/tool-calls/c1/deny" : "/v1/sessions/s/turns";
        return new Case("json-mistyped", request("POST", route, body, Map.of()), false);
    }

    private static void sizes(List<Case> cases) {
        for (int delta : new int[] {-1, 0, 1, 2, 100}) {
            String message = "a".repeat(MAX_MESSAGE_BYTES + delta);
            cases.add(new Case(
                    "sizes",
                    request("POST", "/v1/sessions/s/turns", "{\"message\":\"" + message + "\"}", Map.of()),
                    false));
            String multibyte = "\u00e9".repeat((MAX_MESSAGE_BYTES + delta) / 2);
            cases.add(new Case(
                    "sizes",
                    request("POST", "/v1/sessions/s/turns", "{\"message\":\"" + multibyte + "\"}", Map.of()),
                    false));
        }
        for (int size :
                new int[] {MAX_BODY_BYTES - 1, MAX_BODY_BYTES, MAX_BODY_BYTES + 1, 4 * MAX_BODY_BYTES, 1 << 20}) {
            String body = "{\"message\":\"" + "b".repeat(Math.max(0, size - 14)) + "\"}";
            boolean far = size > 2 * MAX_BODY_BYTES;
            cases.add(new Case("sizes", request("POST", "/v1/sessions/s/turns", body, Map.of()), far));
            cases.add(new Case("sizes", chunked("/v1/sessions/s/turns", body, 4096), far));
        }
        String escaped = "{\"message\":\"" + "\\u0061".repeat(MAX_MESSAGE_BYTES) + "\"}";
        cases.add(new Case("sizes", request("POST", "/v1/sessions/s/turns", escaped, Map.of()), false));
        for (int length : new int[] {4000, 4096, 4097, 5000, 20_000}) {
            String path = "/v1/sessions/" + "p".repeat(Math.max(1, length - 40)) + "/history";
            cases.add(new Case("sizes", request("GET", path, null, Map.of()), false));
        }
        for (int size : new int[] {8000, 8192, 8193, 9000, 40_000}) {
            cases.add(new Case(
                    "sizes",
                    request("GET", "/health", null, Map.of("X-Big", "h".repeat(Math.max(1, size - 60)))),
                    false));
        }
        for (int count : new int[] {100, 1000}) {
            StringBuilder many = new StringBuilder("GET /health HTTP/1.1\r\nHost: x\r\n");
            for (int i = 0; i < count; i++) {
                many.append("X-").append(i).append(": v\r\n");
            }
            cases.add(new Case("sizes", ascii(many.append("\r\n").toString()), false));
        }
        for (int count : new int[] {10, 1000}) {
            String query = "?" + "a=1&".repeat(count);
            cases.add(new Case("sizes", request("GET", "/health" + query, null, Map.of()), false));
        }
    }

    private static Case badIds(Random random) {
        String id = pick(
                random,
                "",
                "%20",
                "a%20b",
                "..",
                "%2e%2e",
                "a%2Fb",
                "a%2fb",
                "%00",
                "x".repeat(129),
                "x".repeat(128),
                "%E2%80%8B",
                "%D0%B0",
                "caf%C3%A9",
                "%ff%fe",
                "a;b",
                "a*b",
                "%25",
                "~",
                ".",
                "-",
                "a..b");
        String tenant =
                pick(random, null, "", " ", "acme corp", "x".repeat(129), "..", "a/b", "ac\u00e9", "acme", "\tx");
        String suffix = pick(
                random,
                "/turns",
                "/history",
                "/stream",
                "/turns/t1/cancel",
                "/tool-calls/%2e%2e/approve",
                "/turns/" + id + "/trace");
        String method =
                suffix.equals("/history") || suffix.equals("/stream") || suffix.endsWith("/trace") ? "GET" : "POST";
        Map<String, String> headers = tenant == null ? Map.of() : Map.of("X-Skein-Tenant", tenant);
        return new Case("ids", request(method, "/v1/sessions/" + id + suffix, "{\"message\":\"hi\"}", headers), false);
    }

    private static Case contentTypes(Random random) {
        String type = pick(
                random,
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
                "application/json; charset=latin1",
                "application/json; charset=utf-16",
                "",
                "application/xml",
                "*/*",
                ";;;",
                "application/json\u0000");
        String body = pick(
                random,
                "{\"message\":\"hi\"}",
                "message=hi",
                "--x\r\nContent-Disposition: form-data; name=a\r\n\r\nb\r\n--x--");
        Map<String, String> headers = Map.of("Content-Type", type);
        return new Case("content-types", request("POST", "/v1/sessions/s/turns", body, headers), false);
    }

    private static Case headers(Random random) {
        String name =
                pick(random, "X-Skein-Tenant", "Accept", "Connection", "Expect", "Upgrade", "Transfer-Encoding", "X-A");
        String value = pick(
                random,
                "\u00ff\u00fe",
                "100-continue",
                "close",
                "websocket",
                "h2c",
                "gzip",
                "identity",
                "chunked, chunked",
                "",
                "a\tb",
                "x".repeat(500));
        boolean silent = name.equals("Transfer-Encoding") || name.equals("Expect");
        String method = random.nextBoolean() ? "POST" : "GET";
        return new Case(
                "headers",
                request(
                        method,
                        random.nextBoolean() ? "/v1/sessions/s/turns" : "/health",
                        "{\"message\":\"hi\"}",
                        Map.of(name, value)),
                silent);
    }

    private static void protocol(List<Case> cases, Random random) {
        String turn = "{\"message\":\"hi\"}";
        List<String> fixed = List.of(
                "GET /health HTTP/1.1\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\n X-Fold: y\r\n\r\n",
                "GET /health HTTP/1.1\r\n Host: x\r\n\r\n",
                "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n" + turn
                        + "\r\n0\r\n\r\n",
                "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n" + turn
                        + "\r\n0\r\n\r\n",
                "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nx\r\n",
                "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n" + turn,
                "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n" + turn,
                "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\nContent-Length: 17\r\n\r\n"
                        + turn,
                "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nContent-Length: 16\r\nTransfer-Encoding: chunked\r\n\r\n"
                        + turn,
                "POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n" + turn,
                "GET /v1/sessions/%zz/history HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /v1/sessions/%/history HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET v1/health HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET * HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET http://other/health HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /health HTTP/1.2\r\nHost: x\r\n\r\n",
                "GET /health HTTP/2.0\r\nHost: x\r\n\r\n",
                "GET /health HTTP/1.1\nHost: x\n\n",
                "GET /health\r\n\r\n",
                "HELLO\r\n\r\n",
                "\r\n\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\n: empty\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\n\r\n",
                "GET /he\u0000alth HTTP/1.1\r\nHost: x\r\n\r\n",
                "GET /v1/sessions/s/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
                "GET /v1/sessions/s/stream HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                        + "Sec-WebSocket-Key: x\r\nSec-WebSocket-Version: 7\r\n\r\n",
                "GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: !!\r\n\r\n");
        for (String raw : fixed) {
            cases.add(new Case("protocol", ascii(raw), false));
        }
        // Cut by the timeouts rather than answered: a body shorter than its length, half a request,
        // an HTTP/2 preface (answered in HTTP/2), nothing at all.
        cases.add(new Case(
                "protocol",
                ascii("POST /v1/sessions/s/turns HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + turn),
                true));
        cases.add(new Case("protocol", ascii("GET /health HTTP/1.1\r\nHost: x\r\n"), true));
        cases.add(new Case("protocol", ascii("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), true));
        cases.add(new Case("protocol", new byte[0], true));
        while (cases.stream().filter(c -> c.category().equals("protocol")).count() < 100) {
            byte[] garbage = new byte[1 + random.nextInt(300)];
            random.nextBytes(garbage);
            if (random.nextBoolean()) {
                byte[] prefix = ascii("GET /health HTTP/1.1\r\nHost: x\r\n");
                byte[] both = new byte[prefix.length + garbage.length];
                System.arraycopy(prefix, 0, both, 0, prefix.length);
                System.arraycopy(garbage, 0, both, prefix.length, garbage.length);
                garbage = both;
            }
            cases.add(new Case("protocol", garbage, true));
        }
    }

    private static Case query(Random random) {
        String wait = pick(
                random,
                "",
                "true",
                "false",
                "0",
                "-1",
                "0.05",
                "1e3",
                "NaN",
                "Infinity",
                "soon",
                "100ms",
                "0.1s",
                "1m",
                "1h",
                "1d",
                "5 s",
                "%20",
                "99999999999999999999",
                "0x10",
                "1,5");
        String extra = pick(random, "", "&wait=1", "&unknown=1", "&wait", "&&&", "&wait=%zz");
        return new Case(
                "query",
                request("POST", "/v1/sessions/s/turns?wait=" + wait + extra, "{\"message\":\"hi\"}", Map.of()),
                false);
    }

    private static Case unknownIds(Random random) {
        String id = "never-" + random.nextInt(1_000_000);
        return switch (random.nextInt(4)) {
            case 0 -> new Case("unknown-ids", request("GET", "/v1/sessions/" + id + "/history", null, Map.of()), false);
            case 1 ->
                new Case("unknown-ids", request("DELETE", "/v1/sessions/" + id + "/history", null, Map.of()), false);
            case 2 ->
                new Case(
                        "unknown-ids",
                        request("POST", "/v1/sessions/" + id + "/turns/" + id + "/cancel", null, Map.of()),
                        false);
            default ->
                new Case(
                        "unknown-ids",
                        request(
                                "POST",
                                "/v1/sessions/s/tool-calls/" + id + "/approve",
                                "{\"reason\":\"ok\"}",
                                Map.of()),
                        false);
        };
    }

    private static WsCase webSocketCase(Random random) {
        List<Frame> frames = new ArrayList<>();
        byte[] turn = utf8("{\"message\":\"hi\"}");
        switch (random.nextInt(12)) {
            case 0 -> frames.add(new Frame(true, RawWebSocket.TEXT, utf8(brokenJsonText(random))));
            case 1 -> frames.add(new Frame(true, RawWebSocket.TEXT, new byte[] {'{', (byte) 0xc3, (byte) 0x28, '}'}));
            case 2 -> frames.add(new Frame(true, RawWebSocket.BINARY, turn));
            case 3 ->
                frames.add(new Frame(
                        true,
                        RawWebSocket.TEXT,
                        utf8("{\"message\":\"" + "m".repeat(MAX_BODY_BYTES + random.nextInt(3) - 1) + "\"}")));
            case 4 -> {
                int pieces = 2 + random.nextInt(20);
                int each = MAX_BODY_BYTES / pieces + 1 + random.nextInt(1000);
                for (int i = 0; i < pieces; i++) {
                    frames.add(new Frame(
                            i == pieces - 1, i == 0 ? RawWebSocket.TEXT : RawWebSocket.CONTINUATION, new byte[each]));
                }
            }
            case 5 -> frames.add(new Frame(true, RawWebSocket.CONTINUATION, turn));
            case 6 -> {
                frames.add(new Frame(false, RawWebSocket.TEXT, utf8("{\"mess")));
                frames.add(new Frame(true, RawWebSocket.TEXT, turn)); // a new message before the last ended
            }
            case 7 -> frames.add(new Frame(true, 3 + random.nextInt(5), turn)); // reserved data opcodes
            case 8 -> frames.add(new Frame(true, 0xb + random.nextInt(5), new byte[0])); // reserved control opcodes
            case 9 -> frames.add(new Frame(true, RawWebSocket.PING, new byte[126 + random.nextInt(200)])); // too long
            case 10 ->
                frames.add(new Frame(
                        true,
                        RawWebSocket.CLOSE,
                        RawWebSocket.closePayload(pickInt(random, 0, 999, 1004, 1005, 1006, 1015, 2999), "x")));
            default -> frames.add(new Frame(true, RawWebSocket.TEXT, utf8(VALID.get(random.nextInt(VALID.size())))));
        }
        return new WsCase("websocket", frames);
    }

    // --- helpers ---

    private static String brokenJsonText(Random random) {
        return pick(
                random,
                "{",
                "{\"message\":\"hi\" /* c */}",
                "{\"message\":\"\\ud800\"}",
                "[]",
                "",
                "{\"message\":1}",
                "{\"x\":1}");
    }

    private static byte[] request(String method, String path, String body, Map<String, String> headers) {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        headers.forEach(
                (name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        byte[] bytes = body == null ? new byte[0] : utf8(body);
        if (body != null) {
            head.append("Content-Length: ").append(bytes.length).append("\r\n");
        }
        head.append("\r\n");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
        out.writeBytes(bytes);
        return out.toByteArray();
    }

    private static byte[] chunked(String path, String body, int chunk) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii("POST " + path + " HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"));
        byte[] bytes = utf8(body);
        for (int i = 0; i < bytes.length; i += chunk) {
            int n = Math.min(chunk, bytes.length - i);
            out.writeBytes(ascii(Integer.toHexString(n) + "\r\n"));
            out.write(bytes, i, n);
            out.writeBytes(ascii("\r\n"));
        }
        out.writeBytes(ascii("0\r\n\r\n"));
        return out.toByteArray();
    }

    private static String flipBytes(Random random, String text) {
        char[] chars = text.toCharArray();
        for (int i = 0; i < 1 + random.nextInt(3); i++) {
            chars[random.nextInt(chars.length)] = (char) (32 + random.nextInt(95));
        }
        return new String(chars);
    }

    @SafeVarargs
    private static <T> T pick(Random random, T... options) {
        return options[random.nextInt(options.length)];
    }

    private static int pickInt(Random random, int... options) {
        return options[random.nextInt(options.length)];
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String preview(byte[] request) {
        String text = new String(request, 0, Math.min(160, request.length), StandardCharsets.ISO_8859_1);
        return "'" + text.replace("\r\n", "|") + (request.length > 160 ? "…' (" + request.length + " bytes)" : "'");
    }

    private static String describe(WsCase c) {
        StringBuilder out = new StringBuilder();
        for (Frame f : c.frames()) {
            out.append("[fin=")
                    .append(f.fin())
                    .append(" op=")
                    .append(f.opcode())
                    .append(" ")
                    .append(f.payload().length)
                    .append("B]");
        }
        return out.toString();
    }
}
