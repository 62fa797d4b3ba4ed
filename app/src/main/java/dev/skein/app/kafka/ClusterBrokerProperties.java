package dev.skein.app.kafka;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.SortedMap;
import java.util.stream.Collectors;

/**
 * The configuration of one node of a multi-node local cluster: the single-node settings
 * ({@link BrokerProperties#singleNode}: listeners on loopback, quick group heartbeats, short
 * timeouts for crashed members), with a node id of its own, a static quorum of every node's
 * controller, and the replication a production cluster would have: three replicas (fewer when
 * the cluster has fewer nodes) and two in sync for an acknowledged write.
 */
final class ClusterBrokerProperties {

    /** Replicas of every topic and internal topic, and how many must have a write before it is acknowledged. */
    static final int REPLICAS = 3;

    static final int MIN_IN_SYNC = 2;

    private ClusterBrokerProperties() {}

    /**
     * @param controllerPorts every node's controller port, by node id: the static voter set
     * @param extra entries that override the defaults
     */
    static Properties node(
            int nodeId,
            Path logDir,
            int brokerPort,
            SortedMap<Integer, Integer> controllerPorts,
            Map<String, String> extra) {
        if (!controllerPorts.containsKey(nodeId)) {
            throw new IllegalArgumentException(
                    "node " + nodeId + " is not one of the voters " + controllerPorts.keySet());
        }
        Properties props = BrokerProperties.singleNode(logDir, brokerPort, controllerPorts.get(nodeId), Map.of());
        props.setProperty("node.id", Integer.toString(nodeId));
        // Every node is broker and controller: a quorum of three survives the loss of any one.
        props.setProperty(
                "controller.quorum.voters",
                controllerPorts.entrySet().stream()
                        .map(e -> e.getKey() + "@" + BrokerProperties.HOST + ":" + e.getValue())
                        .collect(Collectors.joining(",")));

        String replicas = Integer.toString(Math.min(REPLICAS, controllerPorts.size()));
        String minInSync = Integer.toString(Math.min(MIN_IN_SYNC, controllerPorts.size()));
        props.setProperty("default.replication.factor", replicas);
        props.setProperty("min.insync.replicas", minInSync);
        props.setProperty("offsets.topic.replication.factor", replicas);
        props.setProperty("transaction.state.log.replication.factor", replicas);
        props.setProperty("transaction.state.log.min.isr", minInSync);
        props.setProperty("share.coordinator.state.topic.replication.factor", replicas);
        props.setProperty("share.coordinator.state.topic.min.isr", minInSync);

        // How long a crashed node keeps leading its partitions: the controller fences it (and
        // moves its leaderships) once it has missed heartbeats for this long. The single node's
        // 2 s has no one to lose; here three brokers share a machine with the clients, and a
        // live one that misses 2 s of heartbeats on a starved machine would be fenced too.
        props.setProperty("broker.session.timeout.ms", "6000");
        props.setProperty("broker.heartbeat.interval.ms", "1000");
        extra.forEach(props::setProperty);
        return props;
    }
}
