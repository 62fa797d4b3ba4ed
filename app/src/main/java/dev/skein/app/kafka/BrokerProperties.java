package dev.skein.app.kafka;

import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/** The configuration of a single-node KRaft cluster: one process is both broker and controller. */
final class BrokerProperties {

    static final int NODE_ID = 1;
    static final String BROKER_LISTENER = "PLAINTEXT";
    static final String CONTROLLER_LISTENER = "CONTROLLER";
    static final String HOST = "127.0.0.1";

    private BrokerProperties() {}

    /**
     * Builds the broker configuration; {@code extra} entries override the defaults.
     *
     * @param logDir where partitions and the metadata log live; must survive restarts
     */
    static Properties singleNode(Path logDir, int brokerPort, int controllerPort, Map<String, String> extra) {
        Properties props = new Properties();
        props.setProperty("process.roles", "broker,controller");
        props.setProperty("node.id", Integer.toString(NODE_ID));
        // A static voter set (not --standalone): the controller endpoint is read from this file on
        // every start instead of being recorded in the metadata log, so a restart may pick a new
        // controller port.
        props.setProperty("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        props.setProperty("controller.listener.names", CONTROLLER_LISTENER);
        props.setProperty("inter.broker.listener.name", BROKER_LISTENER);
        props.setProperty(
                "listener.security.protocol.map", BROKER_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        // Loopback only: this broker is for one machine and has no authentication.
        props.setProperty(
                "listeners",
                BROKER_LISTENER
                        + "://"
                        + HOST
                        + ":"
                        + brokerPort
                        + ","
                        + CONTROLLER_LISTENER
                        + "://"
                        + HOST
                        + ":"
                        + controllerPort);
        props.setProperty("advertised.listeners", BROKER_LISTENER + "://" + HOST + ":" + brokerPort);
        props.setProperty("log.dirs", logDir.toAbsolutePath().toString());

        // Internal topics default to three replicas; with one broker they could never be created
        // and
        // consumer groups, transactions (exactly_once_v2) and share groups would hang.
        props.setProperty("offsets.topic.replication.factor", "1");
        props.setProperty("transaction.state.log.replication.factor", "1");
        props.setProperty("transaction.state.log.min.isr", "1");
        props.setProperty("share.coordinator.state.topic.replication.factor", "1");
        props.setProperty("share.coordinator.state.topic.min.isr", "1");
        props.setProperty("default.replication.factor", "1");
        props.setProperty("min.insync.replicas", "1");

        // Nobody else will join: waiting 3 s for more group members only delays the first poll.
        props.setProperty("group.initial.rebalance.delay.ms", "0");
        props.setProperty("group.streams.initial.rebalance.delay.ms", "0");
        // New members of share, consumer (KIP-848) and streams (KIP-1071) groups receive their
        // partitions on a later heartbeat; the 5 s default made a fresh worker wait that long
        // before its first record, and after a member dies the survivors learn of the partitions
        // it held on their next one (a second of each failover, at one a second). Two heartbeats
        // a second per member are nothing for a local broker.
        for (String group : new String[] {"share", "consumer", "streams"}) {
            props.setProperty("group." + group + ".min.heartbeat.interval.ms", "500");
            props.setProperty("group." + group + ".heartbeat.interval.ms", "500");
        }
        // A share-group member that dies without leaving (SIGKILL) keeps the partitions assigned to
        // it until its session times out: 45 s by default, during which nobody else fetches them.
        // 5 s lets a restarted process or a surviving worker take over sooner (10 s was most of
        // the first turn after a restart); heartbeats come every second, so a live member misses
        // five before it is dropped.
        props.setProperty("group.share.session.timeout.ms", "5000");
        // Failure detection is a trade a deployment makes (skein.agents.session-timeout,
        // skein.streams.session-timeout): this broker allows down to one second, a stock broker 45 s
        // for share groups and 6 s for consumer groups (docs/running.md, failover).
        props.setProperty("group.share.min.session.timeout.ms", "1000");
        props.setProperty("group.min.session.timeout.ms", "1000");
        // A transaction left open by a process that died is aborted once its timeout has passed,
        // but the broker only looks every 10 s by default; until then read_committed readers of
        // its partitions (a standby taking over included) are stuck behind it. Twice a second: a
        // scan of the coordinator's few transactions.
        props.setProperty("transaction.abort.timed.out.transaction.cleanup.interval.ms", "500");
        // Lets a share group shorten its record lock (share.record.lock.duration.ms) below the 15 s
        // broker minimum, so that work held by a crashed worker returns sooner where that matters.
        props.setProperty("group.share.min.record.lock.duration.ms", "1000");
        // After a SIGKILL the restarted broker is refused (DUPLICATE_BROKER_REGISTRATION) until its
        // controller fences the old incarnation, when its session times out: 9 s by default, which
        // was most of a restart. One node in one process: a short session loses nothing.
        props.setProperty("broker.session.timeout.ms", "2000");
        props.setProperty("broker.heartbeat.interval.ms", "500");
        // Internal topics sized for one node: 50 partitions each only slow the first use of a group.
        props.setProperty("offsets.topic.num.partitions", "4");
        props.setProperty("transaction.state.log.num.partitions", "4");
        props.setProperty("share.coordinator.state.topic.num.partitions", "4");
        // Topics are declared by Skein with their partition counts; a typo must fail, not create one.
        props.setProperty("auto.create.topics.enable", "false");
        props.setProperty("num.partitions", "1");

        extra.forEach(props::setProperty);
        return props;
    }
}
