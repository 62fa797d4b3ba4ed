package dev.skein.app.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.streams.errors.TaskCorruptedException;
import org.slf4j.Marker;
import org.slf4j.helpers.FormattingTuple;
import org.slf4j.helpers.MessageFormatter;

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
    private static final Pattern NO_CHECKPOINT = Pattern.compile(
            "State store \\S+ did not find checkpoint offsets while stores are not empty.*local state of task (\\S+)"
                    + " before",
            Pattern.DOTALL);
    private static final String TASKS_FAILED = "Get exceptions for the following tasks: ";
    private static final Pattern FAILED_TASK = Pattern.compile("(?:\\{|, )\\d+_\\d+=([\\w.$]+)");
    private static final String CORRUPTED_TASK = "Encounter corrupted task ";
    private static final String STARTUP_STORES = "Failed to register startup state stores for task ";
    private static final String DETECTED = "Detected the states of tasks ";
    private static final String CORRUPTION_MESSAGE = "are corrupted and hence need to be re-initialized";

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
        // Kafka's LogContext formats the message itself and puts "stream-thread [...] stream-task [...] " before
        // it, passing no parameters and the throwable apart; a plain SLF4J call passes the format and parameters,
        // the throwable possibly last among them (logback extracts it later). Match the text, inside the prefix.
        FormattingTuple formatted = params == null ? null : MessageFormatter.arrayFormat(format, params);
        String text = formatted == null ? format : formatted.getMessage();
        Throwable thrown = t != null ? t : formatted == null ? null : formatted.getThrowable();
        boolean corrupted = thrown instanceof TaskCorruptedException;
        Matcher noCheckpoint = NO_CHECKPOINT.matcher(text);
        if (noCheckpoint.find()) {
            announce(logger, noCheckpoint.group(1));
            return FilterReply.DENY;
        }
        if ((text.contains(CORRUPTED_TASK) || text.contains(DETECTED)) && corrupted) {
            return FilterReply.DENY;
        }
        if (text.contains(STARTUP_STORES) && (corrupted || text.contains(CORRUPTION_MESSAGE))) {
            return FilterReply.DENY;
        }
        if (text.contains(TASKS_FAILED) && onlyCorruptions(text.substring(text.indexOf(TASKS_FAILED)))) {
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

    /** Whether every task of "{0_1=<exception class>: ..., 0_2=...}" failed with a TaskCorruptedException. */
    private static boolean onlyCorruptions(String tasks) {
        Matcher entry = FAILED_TASK.matcher(tasks);
        int entries = 0;
        while (entry.find()) {
            if (!entry.group(1).equals(TaskCorruptedException.class.getName())) {
                return false;
            }
            entries++;
        }
        return entries > 0;
    }
}
