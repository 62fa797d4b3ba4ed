package dev.skein.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The CPU one load level cost, per turn and by who spent it. The bench's JVM holds the whole system
 * (the embedded broker, the Skein node, the load generator), so its CPU time over a level, divided
 * by the turns of the level, is what a turn costs; on a machine whose CPU is the limit that figure,
 * not the latency, says what the system can carry: {@link #ceilingPerSecond} turns a second at most
 * on the cores there are. Unlike latency it hardly moves with what else runs on the machine, which
 * is why it is the figure to compare two builds by on a noisy machine ({@link #othersCores} says how
 * busy the rest of the machine was meanwhile).
 *
 * <p>Threads are told apart by their names (Kafka's, Kafka Streams', Vert.x's and Skein's own); the
 * JVM's own threads (the JIT compilers, GC) are not visible to {@code ThreadMXBean}, so they are
 * what the process spent beyond its threads, with the threads that ended during the level.
 */
record CpuCost(
        double msPerTurn, Map<Role, Double> msPerTurnByRole, double processCores, double othersCores, int cores) {

    /** Who spends the CPU, by thread name. */
    enum Role {
        STREAMS("stream threads"),
        RUNNER("agent runner"),
        WORKER("tool worker"),
        INGRESS("ingress"),
        CLIENTS("Kafka clients' I/O"),
        BROKER("broker"),
        LOAD("load generator"),
        JVM("JIT, GC, ended threads");

        final String label;

        Role(String label) {
            this.label = label;
        }

        /** The role of a live thread named {@code name}. */
        static Role of(String name) {
            // Stream threads first: their producer's I/O thread is named after them.
            if (name.contains("StreamThread") || name.contains("StateUpdater")) {
                return STREAMS;
            }
            if (name.startsWith("skein-agent")) {
                return RUNNER;
            }
            if (name.startsWith("skein-worker")) {
                return WORKER;
            }
            if (name.startsWith("vert.x-") || name.startsWith("vertx-") || name.startsWith("skein-ingress")) {
                return INGRESS;
            }
            if (name.startsWith("kafka-producer-network-thread")
                    || name.startsWith("consumer_background_thread")
                    || name.startsWith("kafka-coordinator-heartbeat-thread")
                    || name.startsWith("kafka-admin-client-thread")) {
                return CLIENTS;
            }
            if (name.startsWith("bench-") || name.startsWith("ForkJoinPool") || name.equals("main")) {
                return LOAD;
            }
            // The rest is the embedded broker and controller (request handlers, network threads,
            // coordinators, reapers, schedulers) and a few of Skein's timers, which spend little.
            return BROKER;
        }
    }

    /** Cumulative CPU times at one moment. */
    record Snapshot(long nanos, long processCpuNanos, Map<Role, Long> threadCpuNanos, long machineBusyTicks) {

        static Snapshot now() {
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            Map<Role, Long> byRole = new EnumMap<>(Role.class);
            long[] ids = threads.getAllThreadIds();
            long[] cpu = threads.getThreadCpuTime(ids);
            var infos = threads.getThreadInfo(ids);
            for (int i = 0; i < ids.length; i++) {
                if (cpu[i] > 0 && infos[i] != null) {
                    byRole.merge(Role.of(infos[i].getThreadName()), cpu[i], Long::sum);
                }
            }
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            return new Snapshot(System.nanoTime(), os.getProcessCpuTime(), byRole, CpuCost.machineBusyTicks());
        }
    }

    /** Clock ticks per second of /proc/stat (USER_HZ), 100 on every Linux this runs on. */
    private static final double TICKS_PER_SECOND = 100;

    static CpuCost between(Snapshot before, Snapshot after, long turns) {
        double wallSeconds = Math.max(1e-9, (after.nanos() - before.nanos()) / 1e9);
        double processMs = (after.processCpuNanos() - before.processCpuNanos()) / 1e6;
        Map<Role, Double> byRole = new EnumMap<>(Role.class);
        double threadsMs = 0;
        for (Role role : Role.values()) {
            if (role == Role.JVM) {
                continue;
            }
            // A thread that ended meanwhile drops out of the sum: what it spent lands in JVM.
            double ms = Math.max(
                    0,
                    (after.threadCpuNanos().getOrDefault(role, 0L)
                                    - before.threadCpuNanos().getOrDefault(role, 0L))
                            / 1e6);
            threadsMs += ms;
            byRole.put(role, perTurn(ms, turns));
        }
        byRole.put(Role.JVM, perTurn(Math.max(0, processMs - threadsMs), turns));
        double processCores = processMs / 1000 / wallSeconds;
        double othersCores = before.machineBusyTicks() < 0 || after.machineBusyTicks() < 0
                ? Double.NaN
                : Math.max(
                        0,
                        (after.machineBusyTicks() - before.machineBusyTicks()) / TICKS_PER_SECOND / wallSeconds
                                - processCores);
        return new CpuCost(
                perTurn(processMs, turns),
                byRole,
                processCores,
                othersCores,
                Runtime.getRuntime().availableProcessors());
    }

    /** The turns a second these cores could carry at this cost per turn, were nothing else running. */
    @JsonProperty
    double ceilingPerSecond() {
        return msPerTurn <= 0 ? 0 : cores * 1000 / msPerTurn;
    }

    private static double perTurn(double ms, long turns) {
        return turns == 0 ? 0 : ms / turns;
    }

    /**
     * The machine's busy clock ticks so far (all but idle and iowait, from the first line of
     * /proc/stat), or -1 where there is no /proc/stat.
     */
    private static long machineBusyTicks() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/stat"));
            String[] fields = lines.getFirst().trim().split("\\s+");
            long busy = 0;
            // cpu user nice system idle iowait irq softirq steal ...; guest time is already in user.
            for (int i = 1; i < Math.min(fields.length, 9); i++) {
                if (i != 4 && i != 5) {
                    busy += Long.parseLong(fields[i]);
                }
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }
}
