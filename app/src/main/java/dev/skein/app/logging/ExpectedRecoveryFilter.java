package dev.skein.app.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.errors.TaskCorruptedException;
import org.slf4j.Marker;

/**
 * After an unclean stop (SIGKILL, a lost machine) Kafka Streams finds state without a checkpoint,
 * wipes it and restores it from the changelogs. That is the designed recovery, not a fault, but
 * Kafka Streams reports it as an ERROR, a stack trace and a warning per store. This filter drops
 * exactly those reports and says once per task, at INFO, what the recovery does; anything else,
 * including a corruption found while committing, is logged as Kafka Streams logs it.
 *
 * <p>Likewise an embedded broker that restarts tries to reach itself from its transaction
 * coordinator before it listens, and warns every 50 ms until it does (dozens of lines on every
 * start after a kill); those warnings are dropped too. A client of Skein's own that cannot reach
 * the broker still warns.
 *
 * <p>Written by hand because logback can deny an event but not lower its level.
 */
public final class ExpectedRecoveryFilter extends TurboFilter {

    /** Where the INFO lines go. */
    public static final String LOGGER = "dev.skein.app.runtime.Recovery";

    private static final String STREAMS_INTERNALS = "org.apache.kafka.streams.processor.internals.";
    private static final String NO_CHECKPOINT =
            "State store {} did not find checkpoint offsets while stores are not empty";
    private static final String TASKS_FAILED = "Get exceptions for the following tasks: {}";
    private static final String CORRUPTED_TASK = "Encounter corrupted task {}";
    private static final String STARTUP_STORES = "Failed to register startup state stores for task {}";
    private static final String DETECTED = "Detected the states of tasks ";

    private static final String NETWORK_CLIENT = "org.apache.kafka.clients.NetworkClient";
    private static final String BROKERS_OWN_COORDINATOR = "[TransactionCoordinator id=";

    private final Set<String> announced = ConcurrentHashMap.newKeySet();

    @Override
    public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
        if (format == null) {
            return FilterReply.NEUTRAL;
        }
        if (logger.getName().equals(NETWORK_CLIENT)) {
            return format.startsWith(BROKERS_OWN_COORDINATOR) && format.contains("could not be established")
                    ? FilterReply.DENY
                    : FilterReply.NEUTRAL;
        }
        if (!logger.getName().startsWith(STREAMS_INTERNALS)) {
            return FilterReply.NEUTRAL;
        }
        // Kafka's LogContext puts "stream-thread [...] stream-task [...] " before the message: match inside it.
        if (format.contains(NO_CHECKPOINT) && params != null && params.length >= 2) {
            announce(logger, String.valueOf(params[1]));
            return FilterReply.DENY;
        }
        // Through SLF4J the throwable may still be the last parameter here: logback extracts it later.
        Throwable thrown = t != null
                ? t
                : params != null && params.length > 0 && params[params.length - 1] instanceof Throwable last
                        ? last
                        : null;
        boolean corrupted = thrown instanceof TaskCorruptedException;
        if ((format.contains(CORRUPTED_TASK) || format.contains(DETECTED)) && corrupted) {
            return FilterReply.DENY;
        }
        if (format.contains(STARTUP_STORES) && (corrupted || mentionsCorruption(params))) {
            return FilterReply.DENY;
        }
        if (format.contains(TASKS_FAILED) && params != null && params.length == 1 && onlyCorruptions(params[0])) {
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }

    private void announce(Logger logger, String task) {
        if (announced.add(task)) {
            logger.getLoggerContext()
                    .getLogger(LOGGER)
                    .info(
                            "task {}: no checkpoint after an unclean stop; its local state is wiped and restored"
                                    + " from the changelog topics (nothing committed is lost)",
                            task);
        }
    }

    private static boolean mentionsCorruption(Object[] params) {
        return params != null
                && params.length >= 2
                && String.valueOf(params[1]).contains("are corrupted and hence need to be re-initialized");
    }

    private static boolean onlyCorruptions(Object tasks) {
        return tasks instanceof Map<?, ?> map
                && !map.isEmpty()
                && map.values().stream().allMatch(e -> e instanceof TaskCorruptedException);
    }
}
