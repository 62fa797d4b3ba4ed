package dev.skein.app.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.internals.LogContext;
import org.apache.kafka.streams.errors.TaskCorruptedException;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.internals.ProcessorStateManager;
import org.apache.kafka.streams.processor.internals.TaskManager;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class ExpectedRecoveryFilterTest {

    private final LoggerContext context = new LoggerContext();
    private final ListAppender<ILoggingEvent> seen = new ListAppender<>();
    private Logger stateManager;
    private Logger taskManager;

    @BeforeEach
    void logThroughTheFilter() {
        ExpectedRecoveryFilter filter = new ExpectedRecoveryFilter();
        filter.setContext(context);
        filter.start();
        context.addTurboFilter(filter);
        seen.setContext(context);
        seen.start();
        context.getLogger(Logger.ROOT_LOGGER_NAME).addAppender(seen);
        stateManager = context.getLogger("org.apache.kafka.streams.processor.internals.ProcessorStateManager");
        taskManager = context.getLogger("org.apache.kafka.streams.processor.internals.TaskManager");
    }

    @Test
    void anUncleanStopsRecoveryIsOneInfoLinePerTaskInsteadOfErrorsAndStackTraces() {
        TaskCorruptedException corrupted = new TaskCorruptedException(Set.of(new TaskId(0, 2)));
        for (String store : new String[] {"session-meta", "session-messages"}) {
            stateManager.warn(
                    "State store {} did not find checkpoint offsets while stores are not empty, since under EOS it"
                            + " has the risk of getting uncommitted data in stores we have to treat it as a task"
                            + " corruption error and wipe out the local state of task {} before re-bootstrapping",
                    store,
                    new TaskId(0, 2));
        }
        taskManager.error("Get exceptions for the following tasks: {}", Map.of(new TaskId(0, 2), corrupted));
        taskManager.warn(
                "Encounter corrupted task {}, will group it with other corrupted tasks and handle together",
                new TaskId(0, 2),
                corrupted);
        // As Kafka's LogContext writes them: its prefix comes first.
        String thread = "stream-thread [skein-sessions-1-StreamThread-1] stream-task [0_2] ";
        stateManager.warn(
                thread + "State store {} did not find checkpoint offsets while stores are not empty, since under"
                        + " EOS it has the risk of getting uncommitted data in stores we have to treat it as a task"
                        + " corruption error and wipe out the local state of task {} before re-bootstrapping",
                "session-deadlines",
                new TaskId(0, 2));
        taskManager.error(thread + "Get exceptions for the following tasks: {}", Map.of(new TaskId(0, 2), corrupted));
        context.getLogger("org.apache.kafka.streams.processor.internals.StateDirectory")
                .warn(
                        "Failed to register startup state stores for task {}: {}",
                        new TaskId(0, 2),
                        corrupted.getMessage());
        context.getLogger("org.apache.kafka.streams.processor.internals.StreamThread")
                .warn(
                        thread + "Detected the states of tasks [0_2] are corrupted. Will close the task as dirty and"
                                + " re-create and bootstrap from scratch.",
                        corrupted);

        assertThat(seen.list).hasSize(1);
        assertThat(seen.list.getFirst().getLevel().toString()).isEqualTo("INFO");
        assertThat(seen.list.getFirst().getLoggerName()).isEqualTo(ExpectedRecoveryFilter.LOGGER);
        assertThat(seen.list.getFirst().getFormattedMessage())
                .startsWith("task 0_2: no checkpoint after an unclean stop")
                .contains("restored from the changelog topics");
    }

    /**
     * Kafka Streams logs through its LogContext, which formats the message itself and passes no
     * parameters: the filter must recognise the formatted text (it once matched only the formats,
     * and let every report of a recovery through).
     */
    @Test
    void theRecoveryIsRecognisedAsKafkaStreamsReallyLogsIt() {
        LoggerContext global = (LoggerContext) LoggerFactory.getILoggerFactory();
        ExpectedRecoveryFilter filter = new ExpectedRecoveryFilter();
        filter.setContext(global);
        filter.start();
        ListAppender<ILoggingEvent> globalSeen = new ListAppender<>();
        globalSeen.setContext(global);
        globalSeen.start();
        Logger root = global.getLogger(Logger.ROOT_LOGGER_NAME);
        global.getTurboFilterList().addFirst(filter);
        root.addAppender(globalSeen);
        try {
            TaskCorruptedException corrupted = new TaskCorruptedException(Set.of(new TaskId(0, 3)));
            LogContext streams = new LogContext("stream-thread [skein-sessions-1-StreamThread-1] stream-task [0_3] ");
            streams.logger(ProcessorStateManager.class)
                    .warn(
                            "State store {} did not find checkpoint offsets while stores are not empty, since under"
                                    + " EOS it has the risk of getting uncommitted data in stores we have to treat it"
                                    + " as a task corruption error and wipe out the local state of task {} before"
                                    + " re-bootstrapping",
                            "session-meta",
                            new TaskId(0, 3));
            org.slf4j.Logger tasks = streams.logger(TaskManager.class);
            tasks.error("Get exceptions for the following tasks: {}", Map.of(new TaskId(0, 3), corrupted));
            tasks.warn(
                    "Encounter corrupted task {}, will group it with other corrupted tasks and handle together",
                    new TaskId(0, 3),
                    corrupted);
            tasks.error(
                    "Get exceptions for the following tasks: {}",
                    Map.of(new TaskId(0, 1), new IllegalStateException("disk full")));

            assertThat(globalSeen.list)
                    .extracting(ILoggingEvent::getLevel)
                    .extracting(Object::toString)
                    .containsExactly("INFO", "ERROR");
            assertThat(globalSeen.list.getFirst().getFormattedMessage()).startsWith("task 0_3: no checkpoint");
            assertThat(globalSeen.list.getLast().getFormattedMessage()).contains("disk full");
        } finally {
            root.detachAppender(globalSeen);
            global.getTurboFilterList().remove(filter);
        }
    }

    @Test
    void theRestartingBrokersWarningsAboutItselfAreDroppedButAClientsAreNot() {
        Logger networkClient = context.getLogger("org.apache.kafka.clients.NetworkClient");
        networkClient.warn("[TransactionCoordinator id=1] Connection to node 1 (/127.0.0.1:19092) could not be"
                + " established. Node may not be available.");
        networkClient.warn("[Consumer clientId=skein-ingress, groupId=null] Connection to node 1 (/127.0.0.1:19092)"
                + " could not be established. Node may not be available.");

        assertThat(seen.list)
                .singleElement()
                .satisfies(e -> assertThat(e.getFormattedMessage()).startsWith("[Consumer clientId=skein-ingress"));
    }

    @Test
    void anyOtherFailureIsLoggedAsKafkaStreamsLogsIt() {
        taskManager.error(
                "Get exceptions for the following tasks: {}",
                Map.of(new TaskId(0, 1), new IllegalStateException("disk full")));
        taskManager.error(
                "Some tasks were corrupted when trying to commit offsets, these will be cleaned and revived: {}",
                Set.of(new TaskId(0, 1)));
        context.getLogger("org.apache.kafka.clients.consumer.KafkaConsumer")
                .error("Get exceptions for the following tasks: {}", Map.of(new TopicPartition("t", 0), "x"));

        assertThat(seen.list).hasSize(3).allMatch(e -> e.getLevel().toString().equals("ERROR"));
    }
}
