package dev.skein.app.process;

import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes a JVM that {@link ChildJvm} started stop when the process that started it is gone, even
 * when that one was SIGKILLed and ran no shutdown hook: a bench's or a test's {@code skein up},
 * worker or load generator must not outlive it. The parent's pid travels as the system property
 * {@value #PARENT_PID}; without it (a process a person started) nothing is watched.
 */
public final class ParentWatch {

    /** The system property that names the parent's pid. */
    public static final String PARENT_PID = "skein.parent-pid";

    private static final Logger log = LoggerFactory.getLogger(ParentWatch.class);

    private ParentWatch() {}

    /**
     * When this JVM has a parent to watch, exits with status 3 once it is gone (at once if it is
     * gone already); the exit runs the shutdown hooks, so the process stops as on SIGTERM.
     */
    public static void exitWithParent() {
        parentPid().ifPresent(pid -> {
            Optional<ProcessHandle> parent = ProcessHandle.of(pid);
            if (parent.isEmpty() || !parent.get().isAlive()) {
                stop(pid);
                return;
            }
            parent.get().onExit().thenRun(() -> stop(pid));
        });
    }

    static Optional<Long> parentPid() {
        String value = System.getProperty(PARENT_PID);
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "system property " + PARENT_PID + " must be a process id, got '" + value + "'", e);
        }
    }

    private static void stop(long pid) {
        log.warn("The process that started this one ({}) is gone: stopping", pid);
        // System.exit blocks until the shutdown hooks have run: not on the thread that noticed.
        Thread.ofPlatform().name("skein-parent-gone").start(() -> System.exit(3));
    }
}
