package dev.skein.bench;

import java.lang.management.ManagementFactory;
import java.util.Set;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * What the session topology's exactly-once commits cost during one load level, from Kafka's own
 * client metrics in this JVM (the bench's node runs here): how many commits the stream threads
 * made, how long the producer took for each ({@code sendOffsetsToTransaction}, then
 * {@code commitTransaction}, which drains the transaction's sends and waits for {@code EndTxn}),
 * and the share of the level's wall time the threads spent in those two calls, during which they
 * process nothing. The counters are cumulative, so a level's figures are the difference of two
 * snapshots; a metric missing from another Kafka version reads 0.
 */
record CommitCost(
        long commits,
        double commitsPerTurn,
        double sendOffsetsMsPerCommit,
        double commitTransactionMsPerCommit,
        double committingShare,
        double producerRetriesPerTurn) {

    private static final String THREADS = "kafka.streams:type=stream-thread-metrics,*";
    private static final String PRODUCERS = "kafka.producer:type=producer-metrics,client-id=*StreamThread*";

    /** Cumulative counters of every stream thread and its producer at one moment. */
    record Snapshot(long nanos, double commits, double sendOffsetsNanos, double commitNanos, double retries) {

        static Snapshot now() {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            return new Snapshot(
                    System.nanoTime(),
                    sum(server, THREADS, "commit-total"),
                    sum(server, PRODUCERS, "txn-send-offsets-time-ns-total"),
                    sum(server, PRODUCERS, "txn-commit-time-ns-total"),
                    sum(server, PRODUCERS, "record-retry-total"));
        }
    }

    static CommitCost between(Snapshot before, Snapshot after, long turns) {
        long commits = Math.round(after.commits() - before.commits());
        double sendOffsetsMs = (after.sendOffsetsNanos() - before.sendOffsetsNanos()) / 1e6;
        double commitMs = (after.commitNanos() - before.commitNanos()) / 1e6;
        double wallMs = (after.nanos() - before.nanos()) / 1e6;
        return new CommitCost(
                commits,
                turns == 0 ? 0 : (double) commits / turns,
                commits == 0 ? 0 : sendOffsetsMs / commits,
                commits == 0 ? 0 : commitMs / commits,
                wallMs <= 0 ? 0 : (sendOffsetsMs + commitMs) / wallMs,
                turns == 0 ? 0 : (after.retries() - before.retries()) / turns);
    }

    private static double sum(MBeanServer server, String pattern, String attribute) {
        double total = 0;
        try {
            Set<ObjectName> names = server.queryNames(new ObjectName(pattern), null);
            for (ObjectName name : names) {
                try {
                    if (server.getAttribute(name, attribute) instanceof Number n && Double.isFinite(n.doubleValue())) {
                        total += n.doubleValue();
                    }
                } catch (JMException e) {
                    // a bean of the pattern without this attribute: nothing to add
                }
            }
        } catch (JMException e) {
            throw new IllegalArgumentException("bad metric pattern " + pattern, e);
        }
        return total;
    }
}
