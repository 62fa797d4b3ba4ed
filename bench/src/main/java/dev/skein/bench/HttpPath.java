package dev.skein.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Simple turns through the HTTP ingress, driven by wrk in another process: each request posts a
 * turn to a new session with {@code ?wait=30}, so the response is the answer and wrk's latency is
 * the whole turn as an HTTP client sees it. Answers over WebSocket: {@link WebSocketLoad}.
 */
public final class HttpPath {

    /** wrk's figures; latency percentiles in milliseconds. */
    record Result(
            int connections,
            double seconds,
            double requestsPerSecond,
            long requests,
            long errors,
            Map<String, Double> latencyMs,
            String wrkVersion) {}

    private static final Pattern PERCENTILE = Pattern.compile("^\\s*(50|75|90|99)%\\s+([0-9.]+)(us|ms|s)\\s*$");
    private static final Pattern RATE = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern TOTAL = Pattern.compile("(\\d+) requests in");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");
    private static final Pattern SOCKET_ERRORS =
            Pattern.compile("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)");

    private static final String SCRIPT = """
            local counter = 0
            local threads = 0
            function setup(thread)
              threads = threads + 1
              thread:set("id", threads)
            end
            request = function()
              counter = counter + 1
              return wrk.format("POST", "/v1/sessions/http-" .. id .. "-" .. counter .. "/turns?wait=30",
                {["content-type"] = "application/json"}, '{"message":"hello"}')
            end
            """;

    private HttpPath() {}

    /** The path of wrk, when it is installed. */
    public static Optional<Path> wrk() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path candidate = Path.of(dir, "wrk");
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    static Result run(Path wrk, int port, int connections, Duration duration, Path work)
            throws IOException, InterruptedException {
        Path script = work.resolve("bench-turns.lua");
        Files.writeString(script, SCRIPT);
        Process process = new ProcessBuilder(
                        wrk.toString(),
                        "-t1",
                        "-c" + connections,
                        "-d" + duration.toSeconds() + "s",
                        "--timeout",
                        "35s",
                        "--latency",
                        "-s",
                        script.toString(),
                        "http://127.0.0.1:" + port)
                .redirectErrorStream(true)
                .start();
        String output;
        try {
            output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(duration.toSeconds() + 60, TimeUnit.SECONDS)) {
                throw new IllegalStateException("wrk did not finish within " + (duration.toSeconds() + 60) + " s");
            }
        } finally {
            process.destroyForcibly();
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("wrk failed (exit " + process.exitValue() + "): " + output);
        }
        return parse(output, connections, duration);
    }

    static Result parse(String output, int connections, Duration duration) {
        Map<String, Double> latency = new LinkedHashMap<>();
        for (String line : output.split("\n")) {
            Matcher m = PERCENTILE.matcher(line);
            if (m.matches()) {
                double value = Double.parseDouble(m.group(2));
                double ms = switch (m.group(3)) {
                    case "us" -> value / 1000;
                    case "s" -> value * 1000;
                    default -> value;
                };
                latency.put("p" + m.group(1), ms);
            }
        }
        long errors = find(NON_2XX, output).map(Long::parseLong).orElse(0L);
        Matcher socket = SOCKET_ERRORS.matcher(output);
        if (socket.find()) {
            for (int g = 1; g <= 4; g++) {
                errors += Long.parseLong(socket.group(g));
            }
        }
        if (latency.isEmpty()) {
            throw new IllegalStateException("no latency distribution in wrk's output: " + output);
        }
        return new Result(
                connections,
                duration.toSeconds(),
                find(RATE, output).map(Double::parseDouble).orElse(0.0),
                find(TOTAL, output).map(Long::parseLong).orElse(0L),
                errors,
                latency,
                "wrk");
    }

    private static Optional<String> find(Pattern pattern, String text) {
        Matcher m = pattern.matcher(text);
        return m.find() ? Optional.of(m.group(1)) : Optional.empty();
    }
}
