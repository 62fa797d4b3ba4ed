package dev.skein.integration.trace;

import dev.skein.workers.Retry;
import dev.skein.workers.TypedTool;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tools of the decision-trace test, found by ServiceLoader in every worker started from the
 * test classpath: one whose results the session may reuse, and one that fails its first attempt
 * at each label and succeeds when its retry policy runs it again.
 */
final class TraceTools {

    private TraceTools() {}

    public record Operand(int n) {}

    public record Label(String label) {}

    /** Cacheable: the same arguments always give the same output. */
    public static final class Square extends TypedTool<Operand> {
        public Square() {
            super(Operand.class);
        }

        @Override
        public String name() {
            return "trace_square";
        }

        @Override
        public String description() {
            return "the square of n (cacheable)";
        }

        @Override
        public boolean cacheable() {
            return true;
        }

        @Override
        protected String call(Operand number) {
            return String.valueOf(number.n() * number.n());
        }
    }

    /** Fails the first attempt at each label (a connection reset), which its retry policy runs again. */
    public static final class Flaky extends TypedTool<Label> {
        private static final Set<String> FAILED = ConcurrentHashMap.newKeySet();

        public Flaky() {
            super(Label.class);
        }

        @Override
        public String name() {
            return "trace_flaky";
        }

        @Override
        public String description() {
            return "fails once per label, then works";
        }

        @Override
        public Retry retry() {
            return new Retry(2, Duration.ofMillis(50), 2.0, Duration.ofMillis(200), List.of("IOException"));
        }

        @Override
        protected String call(Label label) throws IOException {
            if (FAILED.add(label.label())) {
                throw new IOException("connection reset (first attempt at " + label.label() + ")");
            }
            return "worked for " + label.label();
        }
    }
}
