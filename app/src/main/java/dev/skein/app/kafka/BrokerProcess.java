package dev.skein.app.kafka;

import dev.skein.app.process.ChildJvm;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Kafka node in a child JVM of its own ({@link ChildBroker}), started from this JVM's java
 * binary and class path: what {@link LocalKafka} runs in {@link LocalKafka.Mode#CHILD_PROCESS} mode,
 * and each node of a {@link LocalKafkaCluster}. Its output goes to a log file (appended to, so a
 * restart continues the same log). It stops cleanly when this JVM closes its standard input, and
 * with it when this JVM dies, however it dies.
 */
final class BrokerProcess {

    private static final int LOG_TAIL_LINES = 40;
    private static final Duration GRACEFUL_STOP = Duration.ofSeconds(30);
    private static final Duration FORCED_STOP = Duration.ofSeconds(10);
    private static final Logger LOG = LoggerFactory.getLogger(BrokerProcess.class);

    private final Process process;
    private final Path logFile;
    private final Thread outputPump;

    private BrokerProcess(Process process, Path logFile, Thread outputPump) {
        this.process = process;
        this.logFile = logFile;
        this.outputPump = outputPump;
    }

    /**
     * Starts the node from {@code configFile} and blocks until it has started (its startup sequence
     * ended; a node of a multi-node quorum gets there only once a quorum has formed).
     *
     * @param jvmOptions options of the child JVM besides its class path, e.g. {@code -Xmx1g}
     * @throws IllegalStateException if it exits first or is not ready within {@code timeout}; the
     *     message carries the end of its log, and the process is gone when this throws
     */
    static BrokerProcess start(Path configFile, Path logFile, List<String> jvmOptions, Duration timeout) {
        List<String> command = ChildJvm.command(
                jvmOptions,
                ChildBroker.class.getName(),
                List.of(configFile.toAbsolutePath().toString()));
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the Kafka child JVM " + command.getFirst(), e);
        }
        LOG.debug("Kafka child JVM pid {} logs to {}", process.pid(), logFile);
        CompletableFuture<Void> ready = new CompletableFuture<>();
        Thread pump = Thread.ofPlatform()
                .daemon()
                .name("kafka-child-output-" + process.pid())
                .start(() -> pumpOutput(process, logFile, ready));
        BrokerProcess broker = new BrokerProcess(process, logFile, pump);
        try {
            ready.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return broker;
        } catch (TimeoutException e) {
            broker.kill();
            throw new IllegalStateException(
                    "Kafka child JVM did not start within " + timeout + "; end of " + logFile + ":\n"
                            + broker.logTail(),
                    e);
        } catch (ExecutionException e) {
            String exit = broker.exitDescription();
            broker.kill();
            throw new IllegalStateException(
                    "Kafka child JVM exited before it was ready (" + exit + "); end of " + logFile + ":\n"
                            + broker.logTail(),
                    e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            broker.kill();
            throw new IllegalStateException("Interrupted while waiting for the Kafka child JVM", e);
        }
    }

    Process process() {
        return process;
    }

    Path logFile() {
        return logFile;
    }

    /** End of input first (the node shuts down cleanly), then SIGTERM, then SIGKILL; waits for the exit. */
    void stop() {
        try {
            // End of input is the child's cue to shut the broker down cleanly and exit.
            closeStdin();
            if (!process.waitFor(GRACEFUL_STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn("Kafka child JVM {} still running after {}: terminating it", process.pid(), GRACEFUL_STOP);
                process.destroy();
                if (!process.waitFor(FORCED_STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.warn("Kafka child JVM {} ignored SIGTERM: killing it", process.pid());
                    process.destroyForcibly().waitFor();
                }
            }
            outputPump.join(FORCED_STOP.toMillis());
            LOG.debug("Kafka child JVM {} exited with {}", process.pid(), process.exitValue());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            throw new IllegalStateException("Interrupted while stopping the Kafka child JVM " + process.pid(), e);
        }
    }

    /**
     * SIGKILL, as a crash: no shutdown hook, no controlled shutdown, nothing flushed. Waits until the
     * process has exited and its output is copied.
     */
    void kill() {
        process.destroyForcibly();
        try {
            if (!process.waitFor(FORCED_STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(
                        "Kafka child JVM " + process.pid() + " survived SIGKILL for " + FORCED_STOP);
            }
            outputPump.join(FORCED_STOP.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while killing the Kafka child JVM " + process.pid(), e);
        }
    }

    /** The last lines of the node's log, for an error message. */
    String logTail() {
        if (!Files.isRegularFile(logFile)) {
            return "(no log)";
        }
        Deque<String> lines = new ArrayDeque<>();
        try (BufferedReader in = Files.newBufferedReader(logFile, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                lines.addLast(line);
                if (lines.size() > LOG_TAIL_LINES) {
                    lines.removeFirst();
                }
            }
        } catch (IOException e) {
            return "(cannot read the log: " + e + ")";
        }
        return String.join("\n", lines);
    }

    /** Copies the child's output to its log file and completes {@code ready} on its ready line. */
    private static void pumpOutput(Process process, Path logFile, CompletableFuture<Void> ready) {
        try (BufferedReader in =
                        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                Writer out = Files.newBufferedWriter(
                        logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.equals(ChildBroker.READY_LINE)) {
                    ready.complete(null);
                } else {
                    out.write(line);
                    out.write(System.lineSeparator());
                    out.flush();
                }
            }
        } catch (IOException e) {
            LOG.warn("Copying the Kafka child JVM's output to {} failed", logFile, e);
            ready.completeExceptionally(e);
        }
        ready.completeExceptionally(new IllegalStateException("the child's output ended"));
    }

    private void closeStdin() {
        OutputStream stdin = process.getOutputStream();
        try {
            stdin.close();
        } catch (IOException e) {
            // The pipe is already broken, so the child sees end of input anyway.
            LOG.debug("Closing the Kafka child JVM's standard input failed", e);
        }
    }

    private String exitDescription() {
        try {
            if (process.waitFor(FORCED_STOP.toMillis(), TimeUnit.MILLISECONDS)) {
                return "exit status " + process.exitValue();
            }
            return "still running";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "exit status unknown";
        }
    }
}
