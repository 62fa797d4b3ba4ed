package dev.skein.bench;

import dev.skein.app.kafka.LocalKafkaCluster;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The cluster soak's: the broker that is the active controller of a {@link LocalKafkaCluster} is
 * SIGKILLed, kept down for a while and started again on its own data, and each step of the
 * cluster's recovery is timed. The active controller, because its loss is the worst single loss:
 * the quorum elects a new controller first, and only that one fences the dead broker and moves the
 * leaderships it held (a third of all partitions, internal ones included: transaction
 * coordinators, group and share coordinators).
 */
final class BrokerChaos implements Chaos, AutoCloseable {

    /**
     * One broker kill and how the cluster came back; times in ms after the SIGKILL.
     *
     * @param partitionsLed partitions (every topic, internal ones included) the broker led when killed
     * @param leadersMovedAfterMs until every partition had a live leader again
     * @param restartedAfterMs until the broker had started again (registered, metadata caught up)
     * @param fullyReplicatedAfterMs until every partition had all its replicas in sync again
     */
    record Recovery(
            int node,
            long pid,
            int partitionsLed,
            int newController,
            long leadersMovedAfterMs,
            long restartedAfterMs,
            long fullyReplicatedAfterMs) {}

    /** Longer than any step of a recovery should take on a loaded machine. */
    private static final Duration STEP_TIMEOUT = Duration.ofSeconds(120);

    private static final long POLL_MS = 100;

    private final LocalKafkaCluster cluster;
    private final Duration downtime;
    private final PrintStream console;
    private final Admin admin;
    private final List<Recovery> recoveries = new CopyOnWriteArrayList<>();

    /** @param downtime how long a killed broker stays down (at least until its leaderships have moved) */
    BrokerChaos(LocalKafkaCluster cluster, Duration downtime, PrintStream console) {
        this.cluster = cluster;
        this.downtime = downtime;
        this.console = console;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, cluster.bootstrapServers()));
    }

    @Override
    public Soak.Kill strike(long loadStart) throws Exception {
        int victim = cluster.activeController();
        int led = (int) partitions().stream()
                .filter(p -> p.leader() != null && p.leader().id() == victim)
                .count();
        long killedAt = System.nanoTime();
        long pid = cluster.kill(victim);
        console.printf(
                "Soak: %5.1f s  SIGKILL broker %d (pid %d), the active controller, leading %d partitions%n",
                (killedAt - loadStart) / 1e9, victim, pid, led);

        long moved = await(
                "every partition has a live leader",
                ps -> ps.stream().allMatch(p -> p.leader() != null && p.leader().id() != victim));
        int newController = cluster.activeController();
        long restartAt = killedAt + downtime.toNanos();
        if (restartAt > System.nanoTime()) {
            Thread.sleep(Duration.ofNanos(restartAt - System.nanoTime()));
        }
        cluster.restart(victim);
        long restarted = System.nanoTime();
        long replicated = await(
                "every partition has all its replicas in sync",
                ps -> ps.stream()
                        .allMatch(p -> p.leader() != null
                                && p.isr().size() == p.replicas().size()));
        Recovery recovery = new Recovery(
                victim,
                pid,
                led,
                newController,
                (moved - killedAt) / 1_000_000,
                (restarted - killedAt) / 1_000_000,
                (replicated - killedAt) / 1_000_000);
        recoveries.add(recovery);
        console.printf(
                "Soak: broker %d: leaders moved after %.1f s (controller now %d), restarted after %.1f s,"
                        + " every replica in sync after %.1f s%n",
                victim,
                recovery.leadersMovedAfterMs() / 1e3,
                newController,
                recovery.restartedAfterMs() / 1e3,
                recovery.fullyReplicatedAfterMs() / 1e3);
        return new Soak.Kill(
                "broker-" + victim, "broker", pid, (killedAt - loadStart) / 1_000_000, recovery.restartedAfterMs());
    }

    List<Recovery> recoveries() {
        return List.copyOf(recoveries);
    }

    /** The replication factor of every topic whose name starts with {@code prefix}, and of the internal topics. */
    Map<String, Integer> replicasByTopic(String prefix) throws Exception {
        Map<String, Integer> replicas = new TreeMap<>();
        for (TopicDescription topic : topics().values()) {
            if (topic.name().startsWith(prefix) || topic.isInternal()) {
                replicas.put(
                        topic.name(),
                        topic.partitions().stream()
                                .mapToInt(p -> p.replicas().size())
                                .min()
                                .orElse(0));
            }
        }
        return replicas;
    }

    /**
     * The {@code min.insync.replicas} of every topic whose name starts with {@code prefix}, as
     * {@code "2 (topic)"} when the topic has its own, {@code "2 (broker)"} when the brokers' default applies.
     */
    Map<String, String> minInsyncByTopic(String prefix) throws Exception {
        List<ConfigResource> resources = topics().keySet().stream()
                .filter(name -> name.startsWith(prefix))
                .map(name -> new ConfigResource(ConfigResource.Type.TOPIC, name))
                .toList();
        Map<String, String> minInsync = new TreeMap<>();
        admin.describeConfigs(resources).all().get(30, TimeUnit.SECONDS).forEach((resource, config) -> {
            ConfigEntry entry = config.get(TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG);
            boolean own = entry.source() == ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG;
            minInsync.put(resource.name(), entry.value() + (own ? " (topic)" : " (broker)"));
        });
        return minInsync;
    }

    /**
     * Asks the cluster until {@code done} holds for every partition: Admin has no notification of
     * leader or ISR changes.
     *
     * @return when it first held ({@link System#nanoTime()})
     */
    private long await(String what, Predicate<List<TopicPartitionInfo>> done) throws Exception {
        long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
        while (true) {
            List<TopicPartitionInfo> now = partitions();
            long at = System.nanoTime();
            if (done.test(now)) {
                return at;
            }
            if (at > deadline) {
                throw new IllegalStateException("the cluster did not get to '" + what + "' within " + STEP_TIMEOUT);
            }
            Thread.sleep(POLL_MS);
        }
    }

    private List<TopicPartitionInfo> partitions() throws Exception {
        List<TopicPartitionInfo> all = new ArrayList<>();
        topics().values().forEach(t -> all.addAll(t.partitions()));
        return all;
    }

    private Map<String, TopicDescription> topics() throws Exception {
        var names = admin.listTopics(new ListTopicsOptions().listInternal(true))
                .names()
                .get(30, TimeUnit.SECONDS);
        return admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        admin.close(Duration.ofSeconds(10));
    }
}
