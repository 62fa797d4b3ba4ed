package dev.skein.workers;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeadLetter;
import dev.skein.events.DeltaKind;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.schemas.kafka.ShareBatchLoop;
import dev.skein.schemas.kafka.ShareGroups;
import dev.skein.workers.node.NodeCapabilities;
import dev.skein.workers.node.WorkerAdmission;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker of one or more resource tiers: for each tier, a member of the share group
 * {@code skein-workers-<tier>} on {@code tools.<tier>}; all tiers share one admission (the node's
 * capabilities), one producer and one heartbeat. Each request runs on a virtual thread.
 *
 * <p>A request's path: a tool this worker does not have, or whose needs exceed what this node
 * offers, is RELEASEd for another worker of the pool (with the reason logged), until its delivery
 * count reaches the group's delivery limit: then it is answered with an ERROR result, so the turn
 * goes on. Otherwise it waits for admission (the running calls' needs plus its own within the
 * node's capabilities), runs with the tool's timeout and retry policy, and is answered with a
 * {@link ToolResult} keyed by the session address; a call whose retries are exhausted is also
 * written to the dead-letter topic. A request is ACCEPTed only after its result was acknowledged
 * by the broker, so a worker that dies mid-call loses nothing: the request is delivered again (the
 * result carries the delivery count) and the session keeps the first result for a call id. Long
 * calls keep their lock by renewal ({@link ShareBatchLoop}).
 *
 * <p>At start it reads the tool catalog and refuses to start ({@link ToolCatalog.ConflictException})
 * when one of its tools contradicts a registered definition; then it publishes its tools, and
 * sends a {@link WorkerHeartbeat} every heartbeat interval and a last one with {@code stopping=true}
 * when it closes.
 */
public final class ToolWorker implements AutoCloseable {

    /**
     * @param workerId this worker's id in heartbeats, results and the catalog
     * @param tiers the tiers whose requests it takes, one share group each
     * @param capabilities what this node offers to calls (detected, with overrides)
     * @param heartbeatInterval how often it reports itself to {@code workers}
     * @param maxInFlight how many requests of one tier it holds at once (the records of one poll)
     * @param pollTimeout how long a poll waits for records
     * @param deliveryLimit the share groups' {@code share.delivery.count.limit}: at this delivery a
     *     request that no worker could take is answered with an error instead of released again
     * @param drainTimeout how long {@link #close()} lets running calls finish before interrupting them
     */
    public record Options(
            String workerId,
            List<String> tiers,
            NodeCapabilities capabilities,
            Duration heartbeatInterval,
            int maxInFlight,
            Duration pollTimeout,
            int deliveryLimit,
            Duration drainTimeout,
            Optional<Duration> sessionTimeout) {

        public static final String DEFAULT_TIER = "small";
        /** The broker's default {@code share.delivery.count.limit}. */
        public static final int DEFAULT_DELIVERY_LIMIT = 5;

        public Options {
            if (workerId == null || workerId.isBlank()) {
                throw new IllegalArgumentException("workerId must not be blank");
            }
            if (tiers == null || tiers.isEmpty()) {
                throw new IllegalArgumentException("a worker needs at least one tier");
            }
            for (String tier : tiers) {
                if (tier == null || !tier.matches("[a-z0-9-]{1,64}")) {
                    throw new IllegalArgumentException("tier '" + tier + "' must be 1 to 64 of a-z 0-9 -");
                }
            }
            tiers = List.copyOf(new LinkedHashSet<>(tiers));
            Objects.requireNonNull(capabilities, "capabilities");
            if (heartbeatInterval == null || heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
                throw new IllegalArgumentException("heartbeatInterval must be positive, got " + heartbeatInterval);
            }
            if (maxInFlight < 1) {
                throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
            }
            Objects.requireNonNull(pollTimeout, "pollTimeout");
            if (deliveryLimit < 2) {
                throw new IllegalArgumentException(
                        "deliveryLimit must be at least 2 (the broker's minimum), got " + deliveryLimit);
            }
            Objects.requireNonNull(sessionTimeout, "sessionTimeout");
            if (drainTimeout == null || drainTimeout.isNegative()) {
                throw new IllegalArgumentException("drainTimeout must be zero or positive, got " + drainTimeout);
            }
        }

        /**
         * Worker id {@code <host>-<pid>}, tier {@code small}, detected capabilities, heartbeat every
         * 5 s, one request per core, delivery limit 5, 30 s to drain at close.
         */
        public static Options defaults() {
            return new Options(
                    hostName() + "-" + ProcessHandle.current().pid(),
                    List.of(DEFAULT_TIER),
                    NodeCapabilities.detect(),
                    Duration.ofSeconds(5),
                    Runtime.getRuntime().availableProcessors(),
                    Duration.ofSeconds(1),
                    DEFAULT_DELIVERY_LIMIT,
                    Duration.ofSeconds(30),
                    Optional.empty());
        }

        public Options withWorkerId(String id) {
            return new Options(
                    id,
                    tiers,
                    capabilities,
                    heartbeatInterval,
                    maxInFlight,
                    pollTimeout,
                    deliveryLimit,
                    drainTimeout,
                    sessionTimeout);
        }

        /** Serves only {@code tier}. */
        public Options withTier(String tier) {
            return withTiers(List.of(tier));
        }

        public Options withTiers(List<String> names) {
            return new Options(
                    workerId,
                    names,
                    capabilities,
                    heartbeatInterval,
                    maxInFlight,
                    pollTimeout,
                    deliveryLimit,
                    drainTimeout,
                    sessionTimeout);
        }

        public Options withCapabilities(NodeCapabilities offered) {
            return new Options(
                    workerId,
                    tiers,
                    offered,
                    heartbeatInterval,
                    maxInFlight,
                    pollTimeout,
                    deliveryLimit,
                    drainTimeout,
                    sessionTimeout);
        }

        public Options withHeartbeatInterval(Duration interval) {
            return new Options(
                    workerId,
                    tiers,
                    capabilities,
                    interval,
                    maxInFlight,
                    pollTimeout,
                    deliveryLimit,
                    drainTimeout,
                    sessionTimeout);
        }

        public Options withMaxInFlight(int max) {
            return new Options(
                    workerId,
                    tiers,
                    capabilities,
                    heartbeatInterval,
                    max,
                    pollTimeout,
                    deliveryLimit,
                    drainTimeout,
                    sessionTimeout);
        }

        public Options withPollTimeout(Duration timeout) {
            return new Options(
                    workerId,
                    tiers,
                    capabilities,
                    heartbeatInterval,
                    maxInFlight,
                    timeout,
                    deliveryLimit,
                    drainTimeout,
                    sessionTimeout);
        }

        public Options withDeliveryLimit(int limit) {
            return new Options(
                    workerId,
                    tiers,
                    capabilities,
                    heartbeatInterval,
                    maxInFlight,
                    pollTimeout,
                    limit,
                    drainTimeout,
                    sessionTimeout);
        }

        /**
         * The tier share groups' session timeout ({@code share.session.timeout.ms}): how long the
         * partitions of a worker that died without leaving stay assigned to it, so that nobody
         * fetches their requests. Empty keeps the broker's {@code group.share.session.timeout.ms}.
         */
        public Options withSessionTimeout(Duration timeout) {
            return new Options(
                    workerId,
                    tiers,
                    capabilities,
                    heartbeatInterval,
                    maxInFlight,
                    pollTimeout,
                    deliveryLimit,
                    drainTimeout,
                    Optional.of(timeout));
        }

        public Options withDrainTimeout(Duration timeout) {
            return new Options(
                    workerId,
                    tiers,
                    capabilities,
                    heartbeatInterval,
                    maxInFlight,
                    pollTimeout,
                    deliveryLimit,
                    timeout,
                    sessionTimeout);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(ToolWorker.class);
    private static final Duration PRODUCE_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration CATALOG_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, Object> kafkaConfig;
    private final SkeinTopics topics;
    private final Options options;
    private final String component;
    private final ExecutorService toolThreads;
    private final ToolInvoker invoker;
    private final EventProducer producer;
    private final WorkerAdmission admission;
    private final WorkerMetrics metrics;
    private final List<ShareBatchLoop<byte[]>> loops = new ArrayList<>();
    private final ScheduledExecutorService heartbeats;
    private final long startedAtMs = System.currentTimeMillis();
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();

    /** A worker with its meters in a private {@link SimpleMeterRegistry}. */
    public ToolWorker(
            Map<String, Object> kafkaConfig, SkeinTopics topics, Collection<? extends Tool> tools, Options options) {
        this(kafkaConfig, topics, tools, options, new SimpleMeterRegistry());
    }

    public ToolWorker(
            Map<String, Object> kafkaConfig,
            SkeinTopics topics,
            Collection<? extends Tool> tools,
            Options options,
            MeterRegistry registry) {
        this.kafkaConfig = Map.copyOf(kafkaConfig);
        this.topics = Objects.requireNonNull(topics, "topics");
        this.options = Objects.requireNonNull(options, "options");
        Objects.requireNonNull(registry, "registry");
        if (tools.isEmpty()) {
            throw new IllegalArgumentException("worker " + options.workerId() + " has no tools to run");
        }
        this.component = "worker:" + options.workerId();
        this.toolThreads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("skein-tool-", 0).factory());
        this.invoker = new ToolInvoker(tools, options.workerId(), toolThreads, System::currentTimeMillis);
        this.admission = new WorkerAdmission(options.capabilities().resources());
        this.metrics = new WorkerMetrics(registry, options.workerId(), options.tiers(), admission);
        this.producer = new EventProducer(this.kafkaConfig, component);
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("skein-worker-heartbeat").daemon().factory());
    }

    /**
     * Checks its tools against the catalog and publishes them, sends a first heartbeat (waiting for
     * each), configures the tiers' share groups, then starts taking requests and heartbeating.
     *
     * @throws ToolCatalog.ConflictException when a tool contradicts the catalog; nothing was published
     * @throws KafkaException when the catalog cannot be read or written
     */
    public void start() throws InterruptedException {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("worker " + options.workerId() + " is already started");
        }
        List<ToolDefinition> definitions = invoker.tools().values().stream()
                .map(tool -> ToolDefinitions.of(tool, options.workerId()))
                .toList();
        try {
            ToolCatalog.check(definitions, ToolCatalog.read(kafkaConfig, topics.toolCatalog, CATALOG_TIMEOUT));
        } catch (ToolCatalog.ConflictException e) {
            log.error("Worker {} refuses to start: {}", options.workerId(), e.getMessage());
            throw e;
        }
        for (ToolDefinition definition : definitions) {
            producer.sendAndWait(topics.toolCatalog, definition.getName(), definition, PRODUCE_TIMEOUT);
        }
        producer.sendAndWait(topics.workers, options.workerId(), heartbeat(false), PRODUCE_TIMEOUT);
        try (Admin admin = Admin.create(kafkaConfig)) {
            for (String tier : options.tiers()) {
                ShareGroups.configure(admin, topics.workerGroup(tier), options.sessionTimeout());
            }
        }
        for (String tier : options.tiers()) {
            ShareBatchLoop<byte[]> loop = new ShareBatchLoop<>(
                    "skein-worker-" + tier,
                    consumer(tier),
                    options.pollTimeout(),
                    record -> handle(tier, record),
                    this::deadLetterPoison);
            loops.add(loop);
            loop.start(List.of(topics.tools(tier).name()));
        }
        long every = options.heartbeatInterval().toMillis();
        heartbeats.scheduleAtFixedRate(this::sendHeartbeat, every, every, TimeUnit.MILLISECONDS);
        log.info(
                "Worker {} started on tiers {} offering {} with tools {}",
                options.workerId(),
                options.tiers(),
                options.capabilities(),
                invoker.tools().keySet());
    }

    // Values are read as bytes and deserialized per record, so that a dead letter carries the
    // request exactly as it was written.
    private KafkaShareConsumer<String, byte[]> consumer(String tier) {
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, topics.workerGroup(tier));
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "skein-worker-" + options.workerId() + "-" + tier);
        config.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        // record_limit makes max.poll.records a hard cap: a worker never holds locks on more calls
        // than it runs, so the other workers of the pool get the rest.
        config.put("share.acquire.mode", "record_limit");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, options.maxInFlight());
        return new KafkaShareConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer());
    }

    /** The worker's id. */
    public String workerId() {
        return options.workerId();
    }

    /** Calls answered with a result (of any status). */
    public long completed() {
        return completed.get();
    }

    /** Calls answered with ERROR or TIMEOUT, or released because their result could not be written. */
    public long failed() {
        return failed.get();
    }

    /** Records written to the dead-letter topic: unreadable requests, and calls whose retries were exhausted. */
    public long deadLettered() {
        return deadLettered.get();
    }

    /** Calls admitted to run since start. */
    public long admitted() {
        return admission.admitted();
    }

    /** Calls handed back to the pool since start (they can never fit this node, or it lacks the tool). */
    public long released() {
        return admission.released();
    }

    /** Lock renewals sent since start. */
    public long renewals() {
        return loops.stream().mapToLong(ShareBatchLoop::renewals).sum();
    }

    /** Calls running now. */
    public int inFlight() {
        return metrics.inFlightTotal();
    }

    /** True once started and until closed or a tier's consumer stopped on a fatal error. */
    public boolean isRunning() {
        return !loops.isEmpty() && loops.stream().allMatch(ShareBatchLoop::isRunning);
    }

    private AcknowledgeType handle(String tier, ConsumerRecord<String, byte[]> record) throws InterruptedException {
        if (record.value() == null) {
            log.error(
                    "Tool request {}-{}@{} with key {} has no value; rejected",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    record.key());
            return AcknowledgeType.REJECT;
        }
        ToolRequest request;
        try {
            request = topics.tools(tier).valueSerde().deserializer().deserialize(record.topic(), record.value());
        } catch (RuntimeException e) {
            log.error(
                    "Tool request {}-{}@{} with key {} cannot be read: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    record.key(),
                    e.toString());
            return deadLetter(record, "cannot deserialize the record's value: " + e.getMessage())
                    ? AcknowledgeType.REJECT
                    : AcknowledgeType.RELEASE;
        }
        String address = request.getTenant() + "/" + request.getSessionId();
        int deliveryCount = record.deliveryCount().map(Short::intValue).orElse(1);
        if (deliveryCount > 1) {
            log.info(
                    "[{} turn {}] {} ({}) delivered for the {} time",
                    address,
                    request.getTurnId(),
                    request.getTool(),
                    request.getCallId(),
                    ordinal(deliveryCount));
        }
        Tool tool = invoker.tools().get(request.getTool());
        String refusal =
                tool == null ? invoker.unknownTool(request.getTool()) : admission.whyNeverFits(tool.resources());
        if (refusal != null) {
            return refuse(tier, request, address, deliveryCount, tool, refusal);
        }
        long admittedAt;
        ToolInvoker.Invocation invocation;
        AtomicInteger running = metrics.inFlight(tier);
        running.incrementAndGet();
        try (WorkerAdmission.Permit permit = admission.acquire(tool.resources())) {
            admittedAt = System.nanoTime();
            metrics.admitted(tier);
            sendDelta(tier, address, request, DeltaKind.TOOL_STARTED, null);
            invocation = invoker.invoke(request, deliveryCount);
        } finally {
            running.decrementAndGet();
        }
        ToolResult result = invocation.result();
        metrics.finished(tier, tool.name(), result.getStatus(), Duration.ofNanos(System.nanoTime() - admittedAt));
        sendDelta(
                tier,
                address,
                request,
                DeltaKind.TOOL_FINISHED,
                result.getStatus().name());
        if (!answer(address, request, result)) {
            return AcknowledgeType.RELEASE;
        }
        if (invocation.exhausted() && !deadLetter(record, invocation.exhaustedCause())) {
            log.error(
                    "[{} turn {}] {} ({}) exhausted its retries and its dead letter was not written; the agent has"
                            + " the error result",
                    address,
                    request.getTurnId(),
                    request.getTool(),
                    request.getCallId());
        }
        log.info(
                "[{} turn {}] {} ({}) {} in {} ms after {} attempt(s)",
                address,
                request.getTurnId(),
                request.getTool(),
                request.getCallId(),
                result.getStatus(),
                result.getDurationMs(),
                result.getAttempts());
        return AcknowledgeType.ACCEPT;
    }

    // A call this worker cannot take goes back to the pool, until the group would archive it: then
    // it is answered, so that the agent learns why instead of waiting for a result that never comes.
    private AcknowledgeType refuse(
            String tier, ToolRequest request, String address, int deliveryCount, Tool tool, String reason)
            throws InterruptedException {
        String what = tool == null
                ? "unknown-tool"
                : tool.resources().exceeding(admission.capacity()).getFirst();
        if (deliveryCount < options.deliveryLimit()) {
            admission.countReleased();
            metrics.released(tier, what);
            log.info(
                    "[{} turn {}] {} ({}) released for another worker: {} (delivery {} of at most {})",
                    address,
                    request.getTurnId(),
                    request.getTool(),
                    request.getCallId(),
                    reason,
                    deliveryCount,
                    options.deliveryLimit());
            return AcknowledgeType.RELEASE;
        }
        String output = tool == null
                ? reason + "; nor did the other workers of tier " + tier + " take it (delivered " + deliveryCount
                        + " times)"
                : "no worker could fit " + request.getTool() + ": it was delivered " + deliveryCount
                        + " times (the limit) and on worker " + options.workerId() + " it " + reason;
        log.warn(
                "[{} turn {}] {} ({}) answered with an error at the delivery limit: {}",
                address,
                request.getTurnId(),
                request.getTool(),
                request.getCallId(),
                output);
        ToolResult result =
                invoker.result(request, ToolStatus.ERROR, output, System.currentTimeMillis(), deliveryCount, 0);
        return answer(address, request, result) ? AcknowledgeType.ACCEPT : AcknowledgeType.RELEASE;
    }

    /** Writes the result and waits for it; false (and logged) when it could not be written. */
    private boolean answer(String address, ToolRequest request, ToolResult result) throws InterruptedException {
        try {
            producer.sendAndWait(topics.toolResults, address, result, PRODUCE_TIMEOUT);
        } catch (KafkaException e) {
            failed.incrementAndGet();
            log.error(
                    "[{} turn {}] cannot write the result of {} ({}); the request is released for another try",
                    address,
                    request.getTurnId(),
                    request.getTool(),
                    request.getCallId(),
                    e);
            return false;
        }
        completed.incrementAndGet();
        if (result.getStatus() != ToolStatus.OK) {
            failed.incrementAndGet();
        }
        return true;
    }

    private boolean deadLetter(ConsumerRecord<String, byte[]> record, String cause) throws InterruptedException {
        DeadLetter letter = DeadLetter.newBuilder()
                .setTopic(record.topic())
                .setPartition(record.partition())
                .setOffset(record.offset())
                .setKey(
                        record.key() == null
                                ? null
                                : ByteBuffer.wrap(record.key().getBytes(StandardCharsets.UTF_8)))
                .setValue(record.value() == null ? null : ByteBuffer.wrap(record.value()))
                .setComponent(component)
                .setCause(cause)
                .setTimestampMs(System.currentTimeMillis())
                .build();
        try {
            producer.sendAndWait(topics.deadLetters, record.key(), letter, PRODUCE_TIMEOUT);
            deadLettered.incrementAndGet();
            return true;
        } catch (KafkaException e) {
            log.error(
                    "Cannot dead-letter {}-{}@{} ({})", record.topic(), record.partition(), record.offset(), cause, e);
            return false;
        }
    }

    private boolean deadLetterPoison(org.apache.kafka.common.errors.RecordDeserializationException poison) {
        boolean written = producer.deadLetter(topics.deadLetters, poison);
        if (written) {
            deadLettered.incrementAndGet();
        }
        return written;
    }

    private void sendDelta(String tier, String address, ToolRequest request, DeltaKind kind, String text) {
        AgentDelta delta = AgentDelta.newBuilder()
                .setTenant(request.getTenant())
                .setSessionId(request.getSessionId())
                .setTurnId(request.getTurnId())
                .setStep(request.getStep())
                .setKind(kind)
                .setText(text)
                .setCallId(request.getCallId())
                .setTool(request.getTool())
                .setTier(tier)
                .setWorker(options.workerId())
                .setTimestampMs(System.currentTimeMillis())
                .build();
        // Deltas are a live view with short retention: not waited for; failures are logged.
        producer.send(topics.deltas, address, delta).whenComplete((metadata, error) -> {
            if (error != null) {
                log.warn(
                        "[{} turn {}] a {} delta was not written: {}",
                        address,
                        request.getTurnId(),
                        kind,
                        error.getMessage());
            }
        });
    }

    private WorkerHeartbeat heartbeat(boolean stopping) {
        return WorkerHeartbeat.newBuilder()
                .setWorkerId(options.workerId())
                .setHost(hostName())
                .setTiers(options.tiers())
                .setCapabilities(options.capabilities().toSpec())
                .setTools(new ArrayList<>(invoker.tools().keySet()))
                .setInFlight(metrics.inFlightTotal())
                .setInUse(admission.inUse().toSpec())
                .setAdmitted(admission.admitted())
                .setReleased(admission.released())
                .setStartedAtMs(startedAtMs)
                .setTimestampMs(System.currentTimeMillis())
                .setStopping(stopping)
                .build();
    }

    private void sendHeartbeat() {
        // A scheduled task that throws is silently never run again: report failures and carry on.
        try {
            producer.send(topics.workers, options.workerId(), heartbeat(false)).whenComplete((metadata, error) -> {
                if (error != null) {
                    log.warn("Worker {}: heartbeat not written: {}", options.workerId(), error.getMessage());
                }
            });
        } catch (RuntimeException e) {
            log.warn("Worker {}: cannot send a heartbeat", options.workerId(), e);
        }
    }

    /**
     * Stops taking calls, lets the running ones finish for up to the drain timeout (then interrupts
     * them: their requests go to other workers), says goodbye, closes. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        // The tiers drain side by side, so closing takes one drain timeout, not one per tier.
        Duration drain = options.drainTimeout().plus(PRODUCE_TIMEOUT);
        List<Thread> closing = loops.stream()
                .map(loop -> Thread.ofVirtual().name("skein-worker-close").start(() -> loop.close(drain)))
                .toList();
        for (Thread thread : closing) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                log.warn("Worker {}: interrupted while its tiers drained", options.workerId());
                break;
            }
        }
        heartbeats.shutdownNow();
        // A worker that refused to start never said hello, so it does not say goodbye either.
        if (!loops.isEmpty()) {
            try {
                producer.sendAndWait(topics.workers, options.workerId(), heartbeat(true), Duration.ofSeconds(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                log.warn("Worker {}: interrupted before its last heartbeat was written", options.workerId());
            } catch (KafkaException e) {
                log.warn(
                        "Worker {}: its stopping heartbeat was not written; routers will notice it is gone when"
                                + " heartbeats stop",
                        options.workerId(),
                        e);
            }
        }
        toolThreads.shutdownNow();
        producer.close();
        log.info(
                "Worker {} stopped: {} calls completed, {} failed, {} released, {} dead-lettered",
                options.workerId(),
                completed(),
                failed(),
                released(),
                deadLettered());
    }

    private static String hostName() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            // Containers without a resolvable hostname: the environment usually still names the host.
            String fromEnv = System.getenv("HOSTNAME");
            log.debug("Cannot resolve the local host name ({}); using {}", e.getMessage(), fromEnv);
            return fromEnv == null || fromEnv.isBlank() ? "localhost" : fromEnv;
        }
    }

    private static String ordinal(int n) {
        return n
                + (n % 100 >= 11 && n % 100 <= 13
                        ? "th"
                        : switch (n % 10) {
                            case 1 -> "st";
                            case 2 -> "nd";
                            case 3 -> "rd";
                            default -> "th";
                        });
    }
}
