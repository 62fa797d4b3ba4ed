package dev.skein.integration.scheduling;

import dev.skein.schemas.resources.Resources;
import dev.skein.workers.TypedTool;
import java.util.Map;

/**
 * Tools with the hardware needs of the scheduling tests, found by ServiceLoader in every worker
 * process started from the test classpath. They only report that they ran: where they ran is
 * what the tests look at.
 */
final class TestTools {

    private static final long GIB = 1L << 30;

    private TestTools() {}

    /** Arguments of every test tool. */
    public record Job(String label) {}

    abstract static class Reporting extends TypedTool<Job> {
        private final String name;
        private final Resources needs;

        Reporting(String name, Resources needs) {
            super(Job.class);
            this.name = name;
            this.needs = needs;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return "test tool needing " + needs;
        }

        @Override
        public Resources resources() {
            return needs;
        }

        @Override
        protected String call(Job job) {
            return "done " + job.label();
        }
    }

    /** Needs one GPU: only the GPU worker may run it. */
    public static final class GpuInfer extends Reporting {
        public GpuInfer() {
            super("gpu_infer", new Resources(1, 1, 2 * GIB, Map.of()));
        }
    }

    /** Needs 16 GiB: never on a 4 GiB node. */
    public static final class BigMemory extends Reporting {
        public BigMemory() {
            super("big_memory", new Resources(4, 0, 16 * GIB, Map.of()));
        }
    }

    /** Fits anywhere. */
    public static final class Small extends Reporting {
        public Small() {
            super("small_job", new Resources(0.5, 0, GIB / 4, Map.of()));
        }
    }
}
