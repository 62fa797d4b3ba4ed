package dev.skein.app.kafka;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Entry point of the child JVM that {@link LocalKafka} starts in {@link
 * LocalKafka.Mode#CHILD_PROCESS} mode. Argument: the broker properties file.
 *
 * <p>The broker stops when standard input reaches end of file. The parent holds the other end of
 * that pipe, and the operating system closes it however the parent ends, even on SIGKILL: so no
 * broker outlives the process that started it.
 */
public final class ChildBroker {

    /** Printed on standard output once the broker has started: the parent waits for this line. */
    static final String READY_LINE = "skein-child-broker-ready";

    private static final Logger LOG = LoggerFactory.getLogger(ChildBroker.class);

    private ChildBroker() {}

    public static void main(String[] args) {
        if (args.length != 1) {
            LOG.error("Usage: ChildBroker <broker.properties>");
            System.exit(2);
        }
        EmbeddedBroker broker;
        try {
            broker = EmbeddedBroker.start(Path.of(args[0]));
        } catch (RuntimeException e) {
            LOG.error("Kafka broker failed to start from {}", args[0], e);
            System.exit(1);
            return;
        }
        // SIGTERM (Process.destroy) still shuts the broker down cleanly.
        Runtime.getRuntime().addShutdownHook(new Thread(broker::close, "child-broker-shutdown"));
        System.out.println(READY_LINE);
        System.out.flush();

        awaitEndOfInput(System.in);
        LOG.info("Parent closed standard input: stopping the broker");
        broker.close();
        // Kafka leaves non-daemon threads behind on some paths; the process must end regardless.
        System.exit(0);
    }

    private static void awaitEndOfInput(InputStream in) {
        byte[] buffer = new byte[256];
        try {
            while (in.read(buffer) != -1) {
                // The parent never writes; anything it sends is ignored.
            }
        } catch (IOException e) {
            // A broken pipe means the parent is gone, which is the same signal as end of input.
            LOG.warn("Reading standard input failed; treating it as the parent's exit", e);
        }
    }
}
