package dev.skein.bench;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.app.process.ChildJvm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The bench's side of a {@link WebSocketLoad} run: starts the load generator in a JVM of its own,
 * waits for it, and reads back the one result line it prints.
 */
final class WebSocketLoadProcess {

    private static final Logger log = LoggerFactory.getLogger(WebSocketLoadProcess.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Beyond the run itself: JVM start, connecting, draining, closing. */
    private static final Duration CHILD_SLACK = Duration.ofSeconds(60);

    private static final int STDERR_TAIL_LINES = 30;

    private WebSocketLoadProcess() {}

    /**
     * Runs the load generator as a child JVM (same java, same classpath, {@code -Xmx256m},
     * serial GC) against the ingress on {@code 127.0.0.1:port} and returns its figures. The child
     * is killed if it has not finished within warm-up + measure + 60 s. Sessions are named
     * {@code <sessionPrefix>-<i>}: give each run a prefix of its own, or it continues the
     * histories of the last.
     *
     * @throws IllegalStateException when the child fails, overruns or prints no result; the
     *     message carries the end of its stderr
     */
    static WebSocketLoad.Result run(int port, int connections, Duration warmup, Duration measure, String sessionPrefix)
            throws IOException, InterruptedException {
        Path work = Files.createTempDirectory("skein-websocket-load");
        Path stdout = work.resolve("result.json");
        Path stderr = work.resolve("stderr.log");
        List<String> command = ChildJvm.command(
                List.of("-Xmx256m", "-XX:+UseSerialGC"),
                WebSocketLoad.class.getName(),
                new WebSocketLoad.Options("127.0.0.1", port, connections, warmup, measure, sessionPrefix).arguments());
        Duration limit = warmup.plus(measure).plus(CHILD_SLACK);
        // Both streams go to files: the child can never block on a full pipe nobody reads.
        Process child = new ProcessBuilder(command)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        try {
            if (!child.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException("the WebSocket load generator did not finish within "
                        + limit.toSeconds() + " s and was killed; its stderr ends with:\n" + tail(stderr));
            }
            if (child.exitValue() != 0) {
                throw new IllegalStateException("the WebSocket load generator failed (exit " + child.exitValue()
                        + "); its stderr ends with:\n" + tail(stderr));
            }
            return parse(Files.readString(stdout), stderr);
        } finally {
            child.destroyForcibly(); // a no-op when it has exited; otherwise nothing is left behind
            deleteQuietly(stdout, stderr, work);
        }
    }

    private static WebSocketLoad.Result parse(String stdout, Path stderr) {
        String line = stdout.strip();
        line = line.substring(line.lastIndexOf('\n') + 1);
        try {
            return JSON.readValue(line, WebSocketLoad.Result.class);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "the WebSocket load generator printed no result line (" + e.getOriginalMessage()
                            + "); its stdout was '" + stdout + "' and its stderr ends with:\n" + tail(stderr),
                    e);
        }
    }

    private static String tail(Path file) {
        try {
            List<String> lines = Files.readAllLines(file);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - STDERR_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            return "(cannot read " + file + ": " + e.getMessage() + ")";
        }
    }

    private static void deleteQuietly(Path... paths) {
        for (Path path : paths) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                log.warn("could not delete {} of the WebSocket load generator: {}", path, e.toString());
            }
        }
    }
}
