package dev.skein.schemas.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;

/**
 * Group-level settings every Skein share group needs before its first member joins.
 *
 * <p>Two broker defaults would lose or misread work: a new share group starts at the
 * <em>latest</em> offset ({@code share.auto.offset.reset=latest}), so requests produced before the
 * first worker joined would never be delivered; and share groups read uncommitted records by
 * default, so a worker could act on a request from a transaction the session topology then aborts.
 * That is what speculative dispatch ({@link Dispatch#SPECULATIVE}) chooses on purpose: the
 * isolation is set on every start, so a group whose setting changed is reconfigured before its
 * member joins (the last member to start decides for the whole group; give all the same setting).
 */
public final class ShareGroups {

    private ShareGroups() {}

    /** Sets earliest reset and read_committed isolation on {@code groupId}; idempotent. */
    public static void configure(Admin admin, String groupId) {
        configure(admin, groupId, Optional.empty());
    }

    /**
     * As {@link #configure(Admin, String)}, and, when given, the group's session timeout
     * ({@code share.session.timeout.ms}): how long the partitions of a member that died without
     * leaving stay assigned to it. The broker refuses values outside its
     * {@code group.share.min/max.session.timeout.ms}.
     */
    public static void configure(Admin admin, String groupId, Optional<Duration> sessionTimeout) {
        configure(admin, groupId, IsolationLevel.READ_COMMITTED, sessionTimeout);
    }

    /**
     * As {@link #configure(Admin, String, Optional)}, with the group's {@code share.isolation.level}
     * set to {@code isolation}.
     */
    public static void configure(
            Admin admin, String groupId, IsolationLevel isolation, Optional<Duration> sessionTimeout) {
        ConfigResource group = new ConfigResource(ConfigResource.Type.GROUP, groupId);
        List<AlterConfigOp> ops = new ArrayList<>(List.of(
                set("share.auto.offset.reset", "earliest"), set("share.isolation.level", isolation.toString())));
        sessionTimeout.ifPresent(
                timeout -> ops.add(set("share.session.timeout.ms", String.valueOf(timeout.toMillis()))));
        try {
            admin.incrementalAlterConfigs(Map.of(group, ops)).all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaException("Interrupted while configuring share group " + groupId, e);
        } catch (ExecutionException | TimeoutException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new KafkaException(
                    "Cannot configure share group " + groupId + " (does the broker have share groups enabled?): "
                            + cause.getMessage(),
                    cause);
        }
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }
}
