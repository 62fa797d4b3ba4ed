package dev.skein.topologies.session;

import dev.skein.events.AgentInvocation;
import dev.skein.events.DeadLetter;
import dev.skein.events.ToolRequest;
import dev.skein.events.TraceEntry;
import dev.skein.events.TurnCompleted;
import dev.skein.schemas.SessionAddress;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;

/**
 * Requests the commits of {@link CommitRequests}: one pacer per topology, shared by the session
 * processors of all its tasks, with its state per stream thread.
 *
 * <p>What this relies on in Kafka Streams 4.4.0 (read in {@code StreamThread} and {@code
 * TaskManager} of that release): a stream thread loops poll, then {@code process} (each task up to
 * N records), then punctuate, then {@code maybeCommit}. {@code maybeCommit} commits every task
 * when the commit interval has passed and otherwise {@code maybeCommitActiveTasksPerUserRequested}:
 * if any running task has both requested a commit ({@code ProcessorContext.commit()}) and needs
 * one (it processed a record or punctuated), it commits <em>all</em> the thread's running tasks,
 * in the one exactly-once-v2 transaction the thread's producer holds. So a request made while a
 * record is processed, or in a punctuator, is honoured at the end of that loop, after the other
 * tasks' records of the loop; it does not reset the interval's timer ({@code lastCommitMs} is set
 * only by the interval's commits); and it is ignored during a rebalance (the request stays and is
 * honoured later). A wall-clock punctuation marks its task as needing a commit, so a punctuator
 * that fires while nothing waits costs an offsets-only transaction at the next interval: the
 * punctuator here is scheduled only while something waits, and cancels itself after.
 *
 * <p>Because one request commits the whole thread, the pacing is the thread's, not the task's: at
 * most one request per {@link CommitRequests#minSpacing}, whichever task makes it, and a request
 * clears what every task of the thread had waiting.
 */
final class CommitPacer {

    static final String NAME = "commits-requested-total";

    /** Wall-clock ms of the thread's last request, and since when output waits for one (or {@link #NONE}). */
    private static final class ThreadState {
        long lastRequestMs = Long.MIN_VALUE / 2;
        long committedWaitsSinceMs = NONE;
        long speculativeWaitsSinceMs = NONE;

        boolean waiting() {
            return committedWaitsSinceMs != NONE || speculativeWaitsSinceMs != NONE;
        }
    }

    private static final long NONE = Long.MIN_VALUE;

    private final CommitRequests settings;
    private final ThreadLocal<ThreadState> threads = ThreadLocal.withInitial(ThreadState::new);

    CommitPacer(CommitRequests settings) {
        this.settings = settings;
    }

    /** The pacing of one task: what its passes emit, and the requests it makes for them. */
    Task forTask(ProcessorContext<?, ?> context) {
        return new Task(context);
    }

    final class Task {
        private final ProcessorContext<?, ?> context;
        private final Map<String, Sensor> requests = new HashMap<>();
        private boolean passCommitted;
        private boolean passSpeculative;
        private Cancellable punctuator;

        private Task(ProcessorContext<?, ?> context) {
            this.context = context;
        }

        /** Notes what {@code output} emits in the current pass, and passes it on. */
        SessionOutput watch(SessionOutput output) {
            return new SessionOutput() {
                @Override
                public void invoke(SessionAddress address, AgentInvocation invocation) {
                    mark(settings.speculativeInvocation());
                    output.invoke(address, invocation);
                }

                @Override
                public void request(ToolRequest request) {
                    mark(settings.speculative(request));
                    output.request(request);
                }

                @Override
                public void complete(SessionAddress address, TurnCompleted completed) {
                    mark(false);
                    output.complete(address, completed);
                }

                // Why no commit for a dead letter or an explanation: nobody waits for either; they
                // commit with whatever comes next, or at the fallback interval.
                @Override
                public void deadLetter(String key, DeadLetter letter) {
                    output.deadLetter(key, letter);
                }

                @Override
                public void explain(SessionAddress address, String turnId, TraceEntry.Builder entry) {
                    output.explain(address, turnId, entry);
                }
            };
        }

        /** A record written back to an input topic: the topology itself reads it, read_committed. */
        void rerouted() {
            mark(false);
        }

        private void mark(boolean speculative) {
            if (speculative) {
                passSpeculative = true;
            } else {
                passCommitted = true;
            }
        }

        /**
         * Ends a pass (an input record, or a punctuation of the state machine): requests a commit
         * when what it emitted, or what waits from earlier passes, calls for one now; else makes
         * sure the punctuator will.
         */
        void endPass() {
            boolean committed = passCommitted;
            boolean speculative = passSpeculative;
            passCommitted = false;
            passSpeculative = false;
            if (!settings.enabled()
                    || (!committed && !speculative && !threads.get().waiting())) {
                return;
            }
            long now = context.currentSystemTimeMs();
            ThreadState thread = threads.get();
            if (committed && thread.committedWaitsSinceMs == NONE) {
                thread.committedWaitsSinceMs = now;
            }
            if (speculative && thread.speculativeWaitsSinceMs == NONE) {
                thread.speculativeWaitsSinceMs = now;
            }
            if (!maybeRequest(thread, now) && punctuator == null) {
                punctuator = context.schedule(settings.checkInterval(), PunctuationType.WALL_CLOCK_TIME, this::check);
            }
        }

        private void check(long now) {
            ThreadState thread = threads.get();
            maybeRequest(thread, now);
            if (!thread.waiting() && punctuator != null) {
                punctuator.cancel();
                punctuator = null;
            }
        }

        /** Requests a commit if output waits for one and the spacing allows it; true if it did. */
        private boolean maybeRequest(ThreadState thread, long now) {
            String reason;
            if (thread.committedWaitsSinceMs != NONE) {
                reason = "output";
            } else if (thread.speculativeWaitsSinceMs != NONE
                    && now - thread.speculativeWaitsSinceMs
                            >= settings.speculativeGrace().toMillis()) {
                reason = "speculative-grace";
            } else {
                return false;
            }
            if (now - thread.lastRequestMs < settings.minSpacing().toMillis()) {
                return false;
            }
            context.commit();
            thread.lastRequestMs = now;
            thread.committedWaitsSinceMs = NONE;
            thread.speculativeWaitsSinceMs = NONE;
            count(reason);
            return true;
        }

        /**
         * A Kafka Streams metric ({@value Dispatches#GROUP} / {@value #NAME}, tagged with the reason
         * and the task), in JMX and {@code KafkaStreams#metrics()}.
         */
        private void count(String reason) {
            String task = context.taskId().toString();
            requests.computeIfAbsent(reason, r -> {
                        Sensor sensor = context.metrics()
                                .addSensor(
                                        "skein.task-" + task + ".commits-requested." + r, Sensor.RecordingLevel.INFO);
                        sensor.add(
                                new MetricName(
                                        NAME,
                                        Dispatches.GROUP,
                                        "commits the session topology requested (skein.streams.requested-commits):"
                                                + " reason output, a read_committed reader waits; speculative-grace,"
                                                + " speculative output went unanswered for the grace",
                                        Map.of("reason", r, "task-id", task)),
                                new CumulativeCount());
                        return sensor;
                    })
                    .record();
        }
    }
}
