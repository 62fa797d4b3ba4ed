package dev.skein.adapters;

import dev.skein.adapters.tracing.AgentStepSpans;
import dev.skein.events.AgentDelta;
import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.DeltaKind;
import dev.skein.events.InvocationPurpose;
import dev.skein.events.StepKind;
import dev.skein.events.ToolCall;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.schemas.kafka.ShareBatchLoop;
import dev.skein.schemas.kafka.ShareConsumers;
import dev.skein.schemas.kafka.ShareGroups;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers agent requests: a member of the share group {@code skein-agents} on
 * {@code agent-requests} that calls the named {@link AgentAdapter} and produces its decision as an
 * {@link AgentStep} (plus TEXT deltas) keyed by the session address.
 *
 * <p>Delivery: a request is ACCEPTed only after its step was acknowledged by the broker, so a
 * runner that dies mid-request loses nothing; the request is delivered again and the session
 * topology drops the second step of the same (turn, step). A request that cannot be read is
 * dead-lettered and REJECTed. A failing or slow adapter still produces a step, an ERROR one, so the
 * turn never hangs on the runner.
 */
public final class AgentRunner implements AutoCloseable {

    static final String COMPONENT = "agent-runner";
    private static final Logger log = LoggerFactory.getLogger(AgentRunner.class);
    private static final Duration PRODUCE_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, Object> kafkaConfig;
    private final SkeinTopics topics;
    private final Map<String, AgentAdapter> adapters;
    private final Map<String, AgentSpec> specs;
    private final AgentRunnerOptions options;
    private final EventProducer producer;
    // Several consumers: a slow model call holds back only its own consumer's next poll.
    private final List<ShareBatchLoop<AgentInvocation>> loops;
    private final ExecutorService adapterThreads = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("skein-agent-", 0).factory());
    private final ScheduledExecutorService deltaTimer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().name("skein-agent-deltas").daemon().factory());
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong processed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong abandoned = new AtomicLong();
    private final TurnEnds turnEnds;
    private final MemoryInjection memories;

    /**
     * @param kafkaConfig connection settings shared by the consumer, producer and admin client
     * @param adapters the agents this runner serves, by {@link AgentAdapter#name()}; names must be unique
     */
    public AgentRunner(
            Map<String, Object> kafkaConfig,
            SkeinTopics topics,
            Collection<? extends AgentAdapter> adapters,
            AgentRunnerOptions options) {
        this(kafkaConfig, topics, adapters, Map.of(), options);
    }

    /**
     * @param specs the configuration of each agent, by name: its handoffs (offered as
     *     {@code transfer_to_<agent>} tools) and its timeout; agents without one use the runner's
     */
    public AgentRunner(
            Map<String, Object> kafkaConfig,
            SkeinTopics topics,
            Collection<? extends AgentAdapter> adapters,
            Map<String, AgentSpec> specs,
            AgentRunnerOptions options) {
        this(kafkaConfig, topics, adapters, specs, options, MemoryInjection.NONE);
    }

    /**
     * @param memories adds recalled memories to invocations that reserved room for them
     *     ({@link MemoryInjection}); {@link MemoryInjection#NONE} for a runner without memory
     */
    public AgentRunner(
            Map<String, Object> kafkaConfig,
            SkeinTopics topics,
            Collection<? extends AgentAdapter> adapters,
            Map<String, AgentSpec> specs,
            AgentRunnerOptions options,
            MemoryInjection memories) {
        this.memories = Objects.requireNonNull(memories, "memories");
        this.specs = Map.copyOf(specs);
        this.kafkaConfig = Map.copyOf(kafkaConfig);
        this.topics = Objects.requireNonNull(topics, "topics");
        this.options = Objects.requireNonNull(options, "options");
        this.adapters = byName(adapters);
        if (!this.adapters.containsKey(options.defaultAgent())) {
            throw new IllegalArgumentException("default agent '" + options.defaultAgent()
                    + "' is not among the configured agents " + this.adapters.keySet());
        }
        this.producer = new EventProducer(this.kafkaConfig, COMPONENT);
        this.turnEnds = new TurnEnds(this.kafkaConfig, topics);
        int[] batches = ShareConsumers.batchSizes(options.maxInFlight(), options.consumers());
        List<ShareBatchLoop<AgentInvocation>> pool = new ArrayList<>();
        for (int i = 0; i < batches.length; i++) {
            String name = batches.length == 1 ? "skein-agent-runner" : "skein-agent-runner-" + i;
            pool.add(new ShareBatchLoop<>(
                    name, consumer(name, batches[i]), options.pollTimeout(), this::handle, poison -> {
                        boolean written = producer.deadLetter(topics.deadLetters, poison);
                        if (written) {
                            deadLettered.incrementAndGet();
                        }
                        return written;
                    }));
        }
        this.loops = List.copyOf(pool);
    }

    private static Map<String, AgentAdapter> byName(Collection<? extends AgentAdapter> adapters) {
        Map<String, AgentAdapter> byName = new TreeMap<>();
        for (AgentAdapter adapter : adapters) {
            AgentAdapter previous = byName.putIfAbsent(adapter.name(), adapter);
            if (previous != null) {
                throw new IllegalArgumentException("two agents are named '" + adapter.name() + "'");
            }
        }
        if (byName.isEmpty()) {
            throw new IllegalArgumentException("an agent runner needs at least one agent");
        }
        return Map.copyOf(byName);
    }

    private KafkaShareConsumer<String, AgentInvocation> consumer(String clientId, int maxRecords) {
        return ShareConsumers.create(
                kafkaConfig,
                options.groupId(),
                clientId,
                maxRecords,
                topics.agentRequests.valueSerde().deserializer());
    }

    /**
     * Configures the share group (earliest offset; read_committed or, for speculative dispatch,
     * read_uncommitted) and starts consuming.
     */
    public void start() {
        try (Admin admin = Admin.create(kafkaConfig)) {
            ShareGroups.configure(admin, options.groupId(), options.dispatch().isolation(), options.sessionTimeout());
        }
        turnEnds.start();
        loops.forEach(loop -> loop.start(List.of(topics.agentRequests.name())));
        log.info(
                "Agent runner started in share group {} ({} dispatch, {} consumers) on {} with agents {} (default {})",
                options.groupId(),
                options.dispatch().configName(),
                loops.size(),
                topics.agentRequests.name(),
                adapters.keySet(),
                options.defaultAgent());
    }

    /** Requests answered with a step (of any kind). */
    public long processed() {
        return processed.get();
    }

    /** Requests answered with an ERROR step, or released because their step could not be written. */
    public long failed() {
        return failed.get();
    }

    /** Records that could not be read, written to the dead-letter topic and rejected. */
    public long deadLettered() {
        return deadLettered.get();
    }

    /**
     * Requests not answered because their turn had ended (its completion was on the responses
     * topic) before or while the agent ran: nothing is written for them.
     */
    public long abandoned() {
        return abandoned.get();
    }

    /** False once closed or stopped by a fatal consumer error. */
    public boolean isRunning() {
        return loops.stream().allMatch(ShareBatchLoop::isRunning);
    }

    private AcknowledgeType handle(ConsumerRecord<String, AgentInvocation> record) throws InterruptedException {
        AgentInvocation invocation = record.value();
        if (invocation == null) {
            log.error(
                    "Agent request {}-{}@{} with key {} has no value; rejected",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    record.key());
            return AcknowledgeType.REJECT;
        }
        String address = SessionAddress.key(invocation.getTenant(), invocation.getSessionId());
        String agent = agentOf(invocation);
        Span span = AgentStepSpans.start(record.headers(), address, invocation, agent, specs.get(agent));
        try (Scope ignored = span.makeCurrent()) {
            return answer(record, address, invocation);
        } finally {
            span.end();
        }
    }

    private AcknowledgeType answer(
            ConsumerRecord<String, AgentInvocation> record, String address, AgentInvocation invocation)
            throws InterruptedException {
        long receivedAtMs = System.currentTimeMillis();
        AgentStep step = turnEnds.hasEnded(address, invocation.getTurnId()) ? null : decide(address, invocation);
        if (step == null) {
            // The session has moved on (interrupted, cancelled, timed out): it would drop the step.
            abandoned.incrementAndGet();
            log.info(
                    "[{} turn {} step {}] not answered: the turn has ended",
                    address,
                    invocation.getTurnId(),
                    invocation.getStep());
            return AcknowledgeType.ACCEPT;
        }
        // Where the request was in the log, and when it left the queue: the turn's decision trace
        // gets the invocation's exact offset and its queue wait from here.
        step.setRequestPartition(record.partition());
        step.setRequestOffset(record.offset());
        step.setReceivedAtMs(receivedAtMs);
        // The dispatch it answers: the topology keeps the step only if that is the one it committed.
        step.setDispatchId(invocation.getDispatchId());
        AgentStepSpans.decided(step);
        try {
            producer.sendAndWait(topics.agentSteps, address, step, PRODUCE_TIMEOUT);
        } catch (KafkaException e) {
            failed.incrementAndGet();
            log.error(
                    "[{} turn {} step {}] cannot write the agent step; the request is released for another try",
                    address,
                    invocation.getTurnId(),
                    invocation.getStep(),
                    e);
            return AcknowledgeType.RELEASE;
        }
        processed.incrementAndGet();
        if (step.getKind() == StepKind.ERROR) {
            failed.incrementAndGet();
        }
        return AcknowledgeType.ACCEPT;
    }

    /** The agent's step; null when the turn ended while the agent ran (the call was told to stop). */
    private String agentOf(AgentInvocation invocation) {
        return invocation.getAgent() == null || invocation.getAgent().isBlank()
                ? options.defaultAgent()
                : invocation.getAgent();
    }

    private AgentStep decide(String address, AgentInvocation invocation) throws InterruptedException {
        String name = agentOf(invocation);
        AgentAdapter adapter = adapters.get(name);
        if (adapter == null) {
            String message = "no agent named '" + name + "' is configured (configured: "
                    + String.join(", ", new java.util.TreeSet<>(adapters.keySet())) + ")";
            log.warn("[{} turn {}] {}", address, invocation.getTurnId(), message);
            return AgentSteps.error(invocation, name, message, false, System.currentTimeMillis());
        }
        AgentSpec spec = specs.get(name);
        long timeoutMs = spec == null
                ? options.agentTimeout().toMillis()
                : spec.timeout().toMillis();
        if (invocation.getDeadlineMs() > 0) {
            long untilDeadline = invocation.getDeadlineMs() - System.currentTimeMillis();
            if (untilDeadline <= 0) {
                String message = deadlinePassed(name, invocation.getAttempt());
                log.warn("[{} turn {}] {}", address, invocation.getTurnId(), message);
                return AgentSteps.error(invocation, name, message, false, System.currentTimeMillis());
            }
            timeoutMs = Math.min(timeoutMs, untilDeadline);
        }
        // A summary or an extraction is no turn's text: a session's stream shows only what its turns say.
        DeltaSink deltas = invocation.getPurpose() == InvocationPurpose.SUMMARY
                        || invocation.getPurpose() == InvocationPurpose.EXTRACT
                ? DeltaSink.NONE
                : CoalescingDeltaSink.of(
                        chunk -> sendDelta(address, invocation, DeltaKind.TEXT, chunk, null, null),
                        options.deltaWindow(),
                        deltaTimer);
        log.debug("[{} turn {} step {}] asking agent {}", address, invocation.getTurnId(), invocation.getStep(), name);
        MemoryInjection.Injected recalled = recall(address, invocation);
        AgentInvocation offered = spec == null || spec.handoffs().isEmpty()
                ? recalled.invocation()
                : AgentInvocation.newBuilder(recalled.invocation())
                        .setTools(Handoffs.offered(invocation.getTools(), spec))
                        .build();
        // In the step's context, so that what the adapter sends (its text deltas) carries the step's span.
        Future<AgentReply> reply = adapterThreads.submit(Context.current().wrap(() -> adapter.decide(offered, deltas)));
        turnEnds.running(address, invocation.getTurnId(), reply);
        try {
            AgentReply decided = reply.get(timeoutMs, TimeUnit.MILLISECONDS);
            CoalescingDeltaSink.finish(deltas);
            if (decided == null) {
                throw new ExecutionException(new IllegalStateException("agent '" + name + "' returned no reply"));
            }
            decided = asHandoff(decided, spec);
            AgentStep step = AgentSteps.from(invocation, name, decided, System.currentTimeMillis());
            step.setInjectedMemoryIds(recalled.memoryIds());
            step.setMemoryRecallProblem(recalled.problem());
            for (ToolCall call : step.getToolCalls()) {
                sendDelta(address, invocation, DeltaKind.TOOL_CALL, null, call.getCallId(), call.getName());
            }
            log.info(
                    "[{} turn {} step {}] agent {} decided {}",
                    address,
                    invocation.getTurnId(),
                    invocation.getStep(),
                    name,
                    step.getKind());
            return step;
        } catch (TimeoutException e) {
            reply.cancel(true);
            AgentStep step = unanswered(invocation, name, adapter, timeoutMs, System.currentTimeMillis());
            log.warn(
                    "[{} turn {}] {} ({})",
                    address,
                    invocation.getTurnId(),
                    step.getError(),
                    step.getRetryable() ? "retryable" : "not asked again: the agent may have acted on it");
            return step;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            boolean retryable = cause instanceof IOException
                    || cause instanceof UncheckedIOException
                    || cause instanceof TimeoutException;
            String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            log.warn(
                    "[{} turn {}] agent {} failed ({}): {}",
                    address,
                    invocation.getTurnId(),
                    name,
                    retryable ? "retryable" : "not retryable",
                    message,
                    cause);
            return AgentSteps.error(
                    invocation, name, "agent '" + name + "' failed: " + message, retryable, System.currentTimeMillis());
        } catch (CancellationException e) {
            return null;
        } catch (InterruptedException e) {
            reply.cancel(true);
            throw e;
        } finally {
            // Held text goes out before the step the caller sends (a no-op when already finished).
            CoalescingDeltaSink.finish(deltas);
            turnEnds.finished(address, invocation.getTurnId(), reply);
        }
    }

    /** The invocation with its recalled memories; unchanged (and the problem logged) when they could not be had. */
    private MemoryInjection.Injected recall(String address, AgentInvocation invocation) {
        if (invocation.getMemoryRecall() == null) {
            return MemoryInjection.Injected.none(invocation);
        }
        MemoryInjection.Injected recalled;
        try {
            recalled = memories.inject(invocation);
        } catch (RuntimeException e) {
            // The contract says it never throws; a turn must not fail because memory did.
            recalled = new MemoryInjection.Injected(invocation, List.of(), "memory recall failed: " + e);
        }
        if (recalled.problem() != null) {
            log.warn("[{} turn {}] runs without memories: {}", address, invocation.getTurnId(), recalled.problem());
        }
        return recalled;
    }

    /**
     * The error step of an adapter that did not answer within {@code timeoutMs}: retryable only
     * when the adapter says an unanswered request may be repeated ({@link AgentAdapter#mayRepeatUnanswered()}).
     */
    static AgentStep unanswered(
            AgentInvocation invocation, String name, AgentAdapter adapter, long timeoutMs, long nowMs) {
        String message = "agent '" + name + "' did not answer within " + duration(timeoutMs);
        return AgentSteps.error(invocation, name, message, adapter.mayRepeatUnanswered(), nowMs);
    }

    /**
     * Why an invocation was not run: its turn's deadline had passed. On a later attempt the
     * earlier ones failed first (each with its own error, in this runner's log): say so, or the
     * turn's error would blame the deadline for what the agent did.
     */
    static String deadlinePassed(String name, int attempt) {
        return attempt > 1
                ? "the turn's deadline passed before attempt " + attempt + " of agent '" + name + "' could run; the "
                        + (attempt == 2 ? "attempt" : (attempt - 1) + " attempts")
                        + " before failed with errors that may pass (see the agent runner's log)"
                : "the turn's deadline passed before agent '" + name + "' could run";
    }

    /** {@code 25 s} for whole seconds, else {@code 2500 ms}. */
    static String duration(long millis) {
        return millis % 1000 == 0 ? millis / 1000 + " s" : millis + " ms";
    }

    /** A lone call of an offered {@code transfer_to_<agent>} tool is a handoff, whatever the adapter. */
    private static AgentReply asHandoff(AgentReply reply, AgentSpec spec) {
        if (spec != null
                && reply instanceof AgentReply.ToolCalls calls
                && calls.calls().size() == 1) {
            AgentReply.Call call = calls.calls().getFirst();
            var target = Handoffs.target(call.name()).filter(spec.handoffs()::contains);
            if (target.isPresent()) {
                return new AgentReply.Handoff(call.callId(), target.get(), calls.content(), calls.usage());
            }
        }
        return reply;
    }

    private void sendDelta(
            String address, AgentInvocation invocation, DeltaKind kind, String text, String callId, String tool) {
        AgentDelta delta = AgentDelta.newBuilder()
                .setTenant(invocation.getTenant())
                .setSessionId(invocation.getSessionId())
                .setTurnId(invocation.getTurnId())
                .setStep(invocation.getStep())
                .setKind(kind)
                .setText(text)
                .setCallId(callId)
                .setTool(tool)
                .setTimestampMs(System.currentTimeMillis())
                .build();
        producer.sendDelta(topics.deltas, address, delta);
    }

    /** Stops taking requests, finishes the ones in flight (up to the agent timeout), then closes. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ShareBatchLoop.closeAll(loops, options.agentTimeout().plus(PRODUCE_TIMEOUT));
        turnEnds.close();
        adapterThreads.shutdownNow();
        deltaTimer.shutdownNow();
        producer.close();
        log.info(
                "Agent runner stopped: {} requests processed, {} failed, {} dead-lettered",
                processed(),
                failed(),
                deadLettered());
    }
}
