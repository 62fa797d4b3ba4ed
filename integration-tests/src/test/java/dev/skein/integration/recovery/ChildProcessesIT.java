package dev.skein.integration.recovery;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.app.process.ChildJvm;
import dev.skein.app.process.ParentWatch;
import java.io.BufferedReader;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A JVM started through {@link ChildJvm} (a bench's or a test's {@code skein up}, worker or load
 * generator) stops when the JVM that started it is SIGKILLed, which runs no shutdown hook.
 */
@Tag("recovery")
class ChildProcessesIT {

    private static final String CHILD_PID = "child-pid=";

    @Test
    void aChildStopsWhenItsParentIsKilled() throws Exception {
        Process parent = new ProcessBuilder(ChildJvm.command(List.of(), Parent.class.getName(), List.of()))
                .redirectErrorStream(true)
                .start();
        ProcessHandle child = null;
        try {
            child = ProcessHandle.of(childPid(parent)).orElseThrow();
            Thread.sleep(1000);
            assertThat(child.isAlive())
                    .as("the child runs while its parent does")
                    .isTrue();

            parent.destroyForcibly().waitFor(30, TimeUnit.SECONDS);

            child.onExit().get(30, TimeUnit.SECONDS);
            assertThat(child.isAlive()).isFalse();
        } finally {
            parent.destroyForcibly();
            if (child != null) {
                child.destroyForcibly();
            }
        }
    }

    private static long childPid(Process parent) throws Exception {
        CompletableFuture<Long> pid = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (BufferedReader in = parent.inputReader()) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (line.startsWith(CHILD_PID)) {
                        pid.complete(Long.parseLong(line.substring(CHILD_PID.length())));
                    }
                }
                pid.completeExceptionally(new AssertionError("the parent exited without starting its child"));
            } catch (IOException e) {
                pid.completeExceptionally(e);
            }
        });
        return pid.get(60, TimeUnit.SECONDS);
    }

    /** Stands in for a bench or a test that starts a Skein process and is then killed. */
    public static final class Parent {
        public static void main(String[] args) throws Exception {
            Process child = new ProcessBuilder(ChildJvm.command(List.of(), Child.class.getName(), List.of()))
                    .inheritIO()
                    .start();
            System.out.println(CHILD_PID + child.pid());
            System.out.flush();
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    /** A Skein process as far as its parent is concerned: it watches its parent, as Skein's main does. */
    public static final class Child {
        public static void main(String[] args) throws InterruptedException {
            ParentWatch.exitWithParent();
            Thread.sleep(Long.MAX_VALUE);
        }
    }
}
