package dev.skein.bench;

import dev.skein.app.Skein;
import dev.skein.app.process.ChildJvm;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * {@code skein up} against the bench's broker, in a JVM of its own started from this one's java
 * binary and class path, as an operator would run it: the process the recovery scenario kills
 * with SIGKILL and starts again. Settings reach it through the environment, by the rule every
 * Skein key follows ({@code skein.streams.session-timeout} is {@code SKEIN_STREAMS_SESSION_TIMEOUT}).
 */
final class SkeinProcess implements AutoCloseable {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final List<String> command;
    private final Map<String, String> settings;
    private final Path dataDir;
    private final int httpPort;

    int httpPort() {
        return httpPort;
    }

    private Process process;

    private SkeinProcess(List<String> command, Map<String, String> settings, Path dataDir, int httpPort) {
        this.command = command;
        this.settings = settings;
        this.dataDir = dataDir;
        this.httpPort = httpPort;
    }

    /**
     * Starts {@code skein up --bootstrap-servers ...} with its own data directory and HTTP port.
     *
     * @param settings Skein keys and values, e.g. {@code skein.topics.prefix -> bench-1.}
     */
    static SkeinProcess start(String bootstrapServers, Path dataDir, Map<String, String> settings) throws IOException {
        return start("up", List.of(), "1g", bootstrapServers, dataDir, settings);
    }

    /**
     * Starts {@code skein <command> <arguments> --bootstrap-servers ... --data-dir ... --port ...}:
     * {@code up}, {@code core}, {@code agents} or {@code worker}, with its own data directory and
     * HTTP port (only {@code up} and {@code core} listen on it).
     *
     * @param heap the JVM's {@code -Xmx}, e.g. {@code 1g}
     */
    static SkeinProcess start(
            String command,
            List<String> arguments,
            String heap,
            String bootstrapServers,
            Path dataDir,
            Map<String, String> settings)
            throws IOException {
        Files.createDirectories(dataDir);
        int port = freePort();
        // As ./skein runs it: RocksDB loads a native library, Kafka still uses sun.misc.Unsafe.
        List<String> jvmOptions = new ArrayList<>(List.of("-Xmx" + heap, "--enable-native-access=ALL-UNNAMED"));
        if (Runtime.version().feature() >= 24) {
            jvmOptions.add("--sun-misc-unsafe-memory-access=allow");
        }
        List<String> args = new ArrayList<>();
        args.add(command);
        args.addAll(arguments);
        args.addAll(List.of(
                "--bootstrap-servers",
                bootstrapServers,
                "--data-dir",
                dataDir.toString(),
                "--port",
                String.valueOf(port)));
        SkeinProcess skein = new SkeinProcess(
                ChildJvm.command(jvmOptions, Skein.class.getName(), args), Map.copyOf(settings), dataDir, port);
        skein.launch();
        return skein;
    }

    /** The environment variable of a Skein key: upper case, '.' and '-' as '_'. */
    static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private void launch() throws IOException {
        ProcessBuilder builder = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log().toFile()));
        settings.forEach((key, value) -> builder.environment().put(environmentName(key), value));
        process = builder.start();
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs, nothing is flushed, committed or closed. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("skein process " + process.pid() + " survived SIGKILL for 30 s");
        }
    }

    /**
     * Starts the same command again, on the same data directory and port; the log goes on in the
     * same file, after a line that marks the restart.
     */
    void restart() throws IOException {
        if (process.isAlive()) {
            throw new IllegalStateException("skein process " + process.pid() + " is still running");
        }
        Files.writeString(
                log(),
                "%n==== bench: process %d was killed; restarting at %s ====%n".formatted(process.pid(), Instant.now()),
                StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        launch();
    }

    /** Waits until {@code GET /health} answers 200; fails early, with the log's tail, if the process exits. */
    void awaitHealthy(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("skein up exited with " + process.exitValue() + ":\n" + logTail());
            }
            try {
                if (get("/health").statusCode() == 200) {
                    return;
                }
            } catch (IOException notYetListening) {
                // starting
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("skein up was not healthy within " + timeout + ":\n" + logTail());
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                        .header("X-Skein-Tenant", TurnDriver.TENANT)
                        .timeout(Duration.ofSeconds(10))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    Path dataDir() {
        return dataDir;
    }

    Path log() {
        return dataDir.resolve("skein.log");
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log());
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGTERM, then SIGKILL if it has not stopped within 30 s. */
    @Override
    public void close() throws InterruptedException {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
