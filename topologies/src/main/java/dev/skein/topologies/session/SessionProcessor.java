package dev.skein.topologies.session;

import dev.skein.events.AgentStep;
import dev.skein.events.DeadLetter;
import dev.skein.events.SessionCommand;
import dev.skein.events.SessionMeta;
import dev.skein.events.ToolResult;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.ExtractionRequests;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.errors.DeadLetters;
import dev.skein.topologies.cache.ResultCache;
import dev.skein.topologies.context.SummaryPrompt;
import dev.skein.topologies.routing.TierRouter;
import dev.skein.topologies.tracing.TopologySpans;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.function.LongConsumer;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The session state machine. One instance per stream task; every event of a session reaches the
 * same instance because all inputs are keyed by session address and co-partitioned.
 *
 * <p>Inputs: TurnRequested, SessionCommand, AgentStep, ToolResult. Outputs (by child name):
 * AgentInvocation, ToolRequest, TurnCompleted, DeadLetter. Every state change and the events it
 * emits commit together under exactly-once.
 *
 * <p>Events that do not fit the state (an old step, an unknown or answered call id, a seen turn
 * id) are dropped and counted in {@link SessionMeta#getEventsDropped()}: under at-least-once
 * delivery from agent runners and workers such duplicates are normal, not errors.
 *
 * <p>This class is the glue: it checks that an event belongs to the session its key names and
 * hands it to the part of the state machine that owns it ({@link Turns}, {@link AgentSteps},
 * {@link ToolCalls}, {@link SessionCommands}, {@link TurnDeadlines}; a summary's or a memory
 * extraction's step by its turn id to {@link Summaries} or {@link Extractions}); an event it cannot take
 * goes to {@link #TO_DEAD_LETTERS}. With retention on, {@link SessionExpiry} erases idle sessions.
 * {@link TraceRecorder} sees each event before the state machine
 * and what it emits after, and keeps each turn's decision trace.
 */
public final class SessionProcessor implements Processor<String, SpecificRecord, String, SpecificRecord> {

    public static final String TO_AGENT_REQUESTS = "to-agent-requests";
    public static final String TO_TOOL_REQUESTS = "to-tool-requests";
    public static final String TO_RESPONSES = "to-responses";
    /** A turn's start and end markers on {@code skein.deltas} (see {@link SessionOutput#forwardingTo}). */
    public static final String TO_DELTAS = "to-deltas";

    public static final String TO_DEAD_LETTERS = "to-dead-letters";
    /** Entries of the shared result cache, to the topic that feeds {@link ResultCache#STORE} on every node. */
    public static final String TO_RESULT_CACHE = "to-result-cache";

    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    private final SessionTopologyConfig config;
    private final SessionPartitions partitions;
    private final Map<String, String> rerouteSinks;
    private final TierRouter router;
    private final TraceRecorder.Topics traceTopics;
    private final CommitPacer pacer;
    private CommitPacer.Task commits;
    private DeadlineAlarm alarm;
    private Cancellable expiryCheck;
    private ProcessorContext<String, SpecificRecord> context;
    private SessionOutput output;
    private TraceRecorder traces;
    private Turns turns;
    private AgentSteps steps;
    private ToolCalls toolCalls;
    private SessionCommands commands;
    private Extractions extractions;

    /**
     * @param partitions which partition owns each session
     * @param rerouteSinks for each input topic, the child that writes a record back to it on the
     *     partition that owns the record's session
     * @param traceTopics the names of the topics it writes, for the decision traces
     */
    public SessionProcessor(
            SessionTopologyConfig config,
            SessionPartitions partitions,
            Map<String, String> rerouteSinks,
            TraceRecorder.Topics traceTopics) {
        this(config, partitions, rerouteSinks, traceTopics, new CommitPacer(CommitRequests.OFF));
    }

    /** @param pacer when to request commits, shared by the processors of all tasks ({@link CommitPacer}) */
    SessionProcessor(
            SessionTopologyConfig config,
            SessionPartitions partitions,
            Map<String, String> rerouteSinks,
            TraceRecorder.Topics traceTopics,
            CommitPacer pacer) {
        this.pacer = pacer;
        this.config = config;
        this.traceTopics = traceTopics;
        this.partitions = partitions;
        this.rerouteSinks = Map.copyOf(rerouteSinks);
        this.router = new TierRouter(config.tiers(), config.workerTimeout());
    }

    @Override
    public void init(ProcessorContext<String, SpecificRecord> context) {
        this.context = context;
        this.commits = pacer.forTask(context);
        this.traces = new TraceRecorder(
                commits.watch(SessionOutput.forwardingTo(context)),
                context,
                traceTopics,
                partitions,
                config.traceKeepTurns());
        this.output = traces;
        Sessions sessions = Sessions.of(context, config);
        ToolCatalog catalog = ToolCatalog.of(context);
        ResultCache cache = new ResultCache(
                context.getStateStore(ResultCache.STORE),
                (key, result, timestampMs) ->
                        context.forward(new Record<String, SpecificRecord>(key, result, timestampMs), TO_RESULT_CACHE),
                config.cacheTtl());
        this.extractions = new Extractions(
                config,
                sessions,
                catalog,
                router,
                output,
                ExtractionCounts.of(context),
                (address, event, cause) -> deadLetter(address.toString(), event, cause));
        this.turns = new Turns(config, sessions, catalog, output, extractions::afterTurn);
        this.toolCalls = new ToolCalls(
                sessions,
                catalog,
                cache,
                router,
                config.approvals(),
                config.access(),
                RefusedCalls.of(context),
                turns,
                output);
        this.steps = new AgentSteps(config, sessions, turns, toolCalls);
        this.commands = new SessionCommands(sessions, turns, toolCalls);
        TurnDeadlines deadlines = new TurnDeadlines(sessions, turns);
        this.alarm = new DeadlineAlarm(
                context, config.deadlineCheckInterval(), inPass(deadlines::expire), sessions::earliestDeadline);
        sessions.onDeadline(alarm::arm);
        alarm.start();
        if (config.retention().enabled()) {
            SessionExpiry expiry = new SessionExpiry(
                    sessions,
                    config.retention(),
                    config.extraction().timeout(),
                    ExpiredSessions.of(context),
                    traces::erase);
            this.expiryCheck = context.schedule(
                    config.retention().checkInterval(),
                    PunctuationType.WALL_CLOCK_TIME,
                    inPass(expiry::expire)::accept);
        }
    }

    /** A punctuation's work as one pass: its trace entries flushed, its commit paced like a record's. */
    private LongConsumer inPass(LongConsumer work) {
        return now -> {
            traces.begin();
            work.accept(now);
            traces.flush();
            commits.endPass();
        };
    }

    /**
     * Stops this processor's punctuations: Kafka Streams keeps a task's scheduled punctuations when
     * it revives the task (after a rollback) and initialises its processors again, so they would
     * otherwise run on beside the new ones, on the old processor's parts.
     */
    @Override
    public void close() {
        if (alarm != null) {
            alarm.close();
        }
        if (expiryCheck != null) {
            expiryCheck.cancel();
            expiryCheck = null;
        }
    }

    /** Applies one input record in its pass span, whose context the records it emits carry. */
    @Override
    public void process(Record<String, SpecificRecord> record) {
        TopologySpans.pass(record, context.recordMetadata().orElse(null), () -> apply(record));
        commits.endPass();
    }

    private void apply(Record<String, SpecificRecord> record) {
        SpecificRecord event = record.value();
        if (event == null) {
            deadLetter(record, "record has no value");
            return;
        }
        SessionAddress address;
        try {
            address = SessionAddress.parse(record.key());
        } catch (IllegalArgumentException e) {
            deadLetter(record, "invalid session address key: " + e.getMessage());
            return;
        }
        String mismatch = mismatch(address, event);
        if (mismatch != null) {
            deadLetter(record, mismatch);
            return;
        }
        RecordMetadata origin = context.recordMetadata().orElse(null);
        if (origin != null && partitions.ownerOf(record.key()) != origin.partition()) {
            reroute(record, address, origin);
            return;
        }
        traces.received(address, event, record.timestamp());
        switch (event) {
            case TurnRequested turn -> turns.request(address, turn);
            case AgentStep step
            when SummaryPrompt.isSummary(step.getTurnId()) -> turns.summaries().onStep(address, step);
            case AgentStep step
            when ExtractionRequests.isExtraction(step.getTurnId()) -> extractions.onStep(address, step);
            case AgentStep step -> steps.onStep(address, step);
            case ToolResult result
            when ExtractionRequests.isExtraction(result.getTurnId()) -> extractions.onResult(address, result);
            case ToolResult result -> toolCalls.onResult(address, result);
            case SessionCommand command -> commands.onCommand(address, command);
            default ->
                deadLetter(record, "unexpected event type " + event.getSchema().getFullName());
        }
        traces.flush();
    }

    /**
     * A record on a partition that does not own its session (a producer that does not partition
     * with murmur2) is not applied here: another task owns the session, and two tasks applying its
     * events would number its history twice. It goes, in this task's transaction, to the owning
     * partition of its own topic, value and headers kept, marked with where it first arrived.
     */
    private void reroute(Record<String, SpecificRecord> record, SessionAddress address, RecordMetadata origin) {
        int owner = partitions.ownerOf(record.key());
        String sink = rerouteSinks.get(origin.topic());
        String where = origin.topic() + "-" + origin.partition() + "@" + origin.offset();
        if (record.headers().lastHeader(SessionPartitions.REROUTED_FROM_HEADER) != null || sink == null) {
            deadLetter(
                    record,
                    "session " + address + " belongs to partition " + owner + " of " + partitions.count()
                            + " but arrived on " + where + (sink == null ? "" : " after it had been forwarded once")
                            + "; do all Skein processes see the same partition count for the session topics?");
            return;
        }
        log.warn(
                "session {}: record on {} partition {} belongs to partition {} (of {}); forwarded there."
                        + " Its producer does not partition with murmur2 (librdkafka: partitioner=murmur2_random)",
                address,
                origin.topic(),
                origin.partition(),
                owner,
                partitions.count());
        Headers headers = new RecordHeaders(record.headers().toArray());
        headers.add(SessionPartitions.REROUTED_FROM_HEADER, where.getBytes(StandardCharsets.UTF_8));
        context.forward(record.withHeaders(headers), sink);
        commits.rerouted();
    }

    /** Null when the event belongs to the session at {@code address}; otherwise what is wrong. */
    private static String mismatch(SessionAddress address, SpecificRecord event) {
        Object tenant = field(event, "tenant");
        Object session = field(event, "sessionId");
        if (!address.tenant().equals(tenant) || !address.sessionId().equals(session)) {
            // Not a SessionAddress: what the event holds may be missing or invalid, and is shown as it is.
            return "key " + address + " does not match the event's tenant/sessionId " + tenant + "/" + session;
        }
        return null;
    }

    private static Object field(SpecificRecord event, String name) {
        Schema.Field field = event.getSchema().getField(name);
        return field == null ? null : event.get(field.pos());
    }

    private void deadLetter(Record<String, SpecificRecord> record, String cause) {
        deadLetter(record.key(), record.value(), cause);
    }

    /** The input record being handled, under {@code key}, to the dead letters with its place in the log. */
    private void deadLetter(String key, SpecificRecord value, String cause) {
        log.warn("dead letter from session topology: key {}: {}", key, cause);
        RecordMetadata origin = context.recordMetadata().orElse(null);
        DeadLetter letter = (origin == null
                        ? DeadLetters.from("unknown", DeadLetters.UNKNOWN_PARTITION, DeadLetters.UNKNOWN_OFFSET)
                        : DeadLetters.from(origin.topic(), origin.partition(), origin.offset()))
                .at(context.currentSystemTimeMs())
                .rejectedBy(
                        "session-topology", cause + (value == null ? "" : "; event: " + abbreviate(value.toString())));
        output.deadLetter(key, letter);
    }

    private static String abbreviate(String text) {
        return text == null || text.length() <= 200 ? String.valueOf(text) : text.substring(0, 200) + "...";
    }
}
