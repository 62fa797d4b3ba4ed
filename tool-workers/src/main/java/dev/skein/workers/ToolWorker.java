package dev.skein.workers;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeltaKind;
import dev.skein.events.ResourceSpec;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.ShareGroups;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.schemas.kafka.ShareBatchLoop;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A worker of one resource tier: a member of the share group {@code skein-workers-<tier>} on
 * {@code tools.<tier>} that runs each request on a virtual thread with the tool's timeout and
 * produces a {@link ToolResult} keyed by the session address.
 *
 * <p>At start it publishes its tools to the tool catalog; while it runs it sends a
 * {@link WorkerHeartbeat} (capabilities, tools, calls in flight) every heartbeat interval, and a
 * last one with {@code stopping=true} when it closes. A request is ACCEPTed only after its result
 * was acknowledged by the broker, so a worker that dies mid-call loses nothing: the request is
 * delivered again (the result carries the delivery count) and the session keeps the first result
 * for a call id. A request that cannot be read is dead-lettered and REJECTed.
 */
public final class ToolWorker implements AutoCloseable {

    /**
     * @param workerId this worker's id in heartbeats and results
     * @param tier the tier whose requests it takes
     * @param heartbeatInterval how often it reports itself to {@code workers}
     * @param maxInFlight how many calls it runs at once (the records of one poll)
     * @param pollTimeout how long a poll waits for records
     */
    public record Options(String workerId, String tier, Duration heartbeatInterval, int maxInFlight, Duration pollTimeout) {

        public static final String DEFAULT_TIER = "small";

        public Options {
            if (workerId == null || workerId.isBlank()) {
                throw new IllegalArgumentException("workerId must not be blank");
            }
            if (tier == null || !tier.matches("[a-z0-9-]{1,64}")) {
                throw new IllegalArgumentException("tier '" + tier + "' must be 1 to 64 of a-z 0-9 -");
            }
            if (heartbeatInterval == null || heartbeatInterval.isNegative() || heartbeatInterval.isZero()) {
                throw new IllegalArgumentException("heartbeatInterval must be positive, got " + heartbeatInterval);
            }
            if (maxInFlight < 1) {
                throw new IllegalArgumentException("maxInFlight must be at least 1, got " + maxInFlight);
            }
            Objects.requireNonNull(pollTimeout, "pollTimeout");
        }

        /** Worker id {@code <host>-<pid>}, tier {@code small}, heartbeat every 5 s, one call per core. */
        public static Options defaults() {
            return new Options(hostName() + "-" + ProcessHandle.current().pid(), DEFAULT_TIER, Duration.ofSeconds(5),
                    Runtime.getRuntime().availableProcessors(), Duration.ofSeconds(1));
        }

        public Options withWorkerId(String id) {
            return new Options(id, tier, heartbeatInterval, maxInFlight, pollTimeout);
        }

        public Options withTier(String name) {
            return new Options(workerId, name, heartbeatInterval, maxInFlight, pollTimeout);
        }

        public Options withHeartbeatInterval(Duration interval) {
            return new Options(workerId, tier, interval, maxInFlight, pollTimeout);
        }

        /** The share group of this tier's pool. */
        public String groupId() {
            return shareGroupOf(tier);
        }
    }

    private static final Logger log = LoggerFactory.getLogger(ToolWorker.class);

    /** The share group of the worker pool of {@code tier}: {@code skein-workers-<tier>}. */
    public static String shareGroupOf(String tier) {
        return "skein-workers-" + tier;
    }
    private static final Duration PRODUCE_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, Object> kafkaConfig;
    private final SkeinTopics topics;
    private final Options options;
    private final String component;
    private final ExecutorService toolThreads;
    private final ToolInvoker invoker;
    private final EventProducer producer;
    private final ShareBatchLoop<ToolRequest> loop;
    private final ScheduledExecutorService heartbeats;
    private final long startedAtMs = System.currentTimeMillis();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();
    private final AtomicLong lockWarnings = new AtomicLong();

    public ToolWorker(Map<String, Object> kafkaConfig, SkeinTopics topics, Collection<? extends Tool> tools, Options options) {
        this.kafkaConfig = Map.copyOf(kafkaConfig);
        this.topics = Objects.requireNonNull(topics, "topics");
        this.options = Objects.requireNonNull(options, "options");
        if (tools.isEmpty()) {
            throw new IllegalArgumentException("worker " + options.workerId() + " has no tools to run");
        }
        this.component = "worker:" + options.workerId();
        this.toolThreads = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("skein-tool-", 0).factory());
        this.invoker = new ToolInvoker(tools, options.workerId(), toolThreads, System::currentTimeMillis);
        this.producer = new EventProducer(this.kafkaConfig, component);
        KafkaShareConsumer<String, ToolRequest> consumer = consumer();
        this.loop = new ShareBatchLoop<>("skein-worker-" + options.tier(), consumer, options.pollTimeout(), this::handle,
                poison -> {
                    boolean written = producer.deadLetter(topics.deadLetters, poison);
                    if (written) {
                        deadLettered.incrementAndGet();
                    }
                    return written;
                });
        this.heartbeats = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().name("skein-worker-heartbeat").daemon().factory());
    }

    private KafkaShareConsumer<String, ToolRequest> consumer() {
        Map<String, Object> config = new HashMap<>(kafkaConfig);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, options.groupId());
        config.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "skein-worker-" + options.workerId());
        config.put(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit");
        // record_limit makes max.poll.records a hard cap: a worker never holds locks on more calls
        // than it runs, so the other workers of the pool get the rest.
        config.put("share.acquire.mode", "record_limit");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, options.maxInFlight());
        return new KafkaShareConsumer<>(config, new StringDeserializer(), topics.tools(options.tier()).valueSerde().deserializer());
    }

    /**
     * Publishes the tool catalog and a first heartbeat (waiting for both), configures the share
     * group, then starts taking requests and heartbeating.
     */
    public void start() throws InterruptedException {
        for (Tool tool : invoker.tools().values()) {
            producer.sendAndWait(topics.toolCatalog, tool.name(), ToolDefinitions.of(tool, options.tier()), PRODUCE_TIMEOUT);
        }
        producer.sendAndWait(topics.workers, options.workerId(), heartbeat(false), PRODUCE_TIMEOUT);
        try (Admin admin = Admin.create(kafkaConfig)) {
            ShareGroups.configure(admin, options.groupId());
        }
        loop.start(List.of(topics.tools(options.tier()).name()));
        long every = options.heartbeatInterval().toMillis();
        heartbeats.scheduleAtFixedRate(this::sendHeartbeat, every, every, TimeUnit.MILLISECONDS);
        log.info("Worker {} started on {} (share group {}) with tools {}", options.workerId(),
                topics.tools(options.tier()).name(), options.groupId(), invoker.tools().keySet());
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

    /** Records that could not be read, written to the dead-letter topic and rejected. */
    public long deadLettered() {
        return deadLettered.get();
    }

    /** Calls running now. */
    public int inFlight() {
        return inFlight.get();
    }

    /** False once closed or stopped by a fatal consumer error. */
    public boolean isRunning() {
        return loop.isRunning();
    }

    private AcknowledgeType handle(ConsumerRecord<String, ToolRequest> record) throws InterruptedException {
        ToolRequest request = record.value();
        if (request == null) {
            log.error("Tool request {}-{}@{} with key {} has no value; rejected", record.topic(), record.partition(),
                    record.offset(), record.key());
            return AcknowledgeType.REJECT;
        }
        String address = request.getTenant() + "/" + request.getSessionId();
        int deliveryCount = record.deliveryCount().map(Short::intValue).orElse(1);
        if (deliveryCount > 1) {
            log.info("[{} turn {}] {} ({}) delivered for the {} time", address, request.getTurnId(), request.getTool(),
                    request.getCallId(), ordinal(deliveryCount));
        }
        warnWhenLongerThanLock(request);
        inFlight.incrementAndGet();
        ToolResult result;
        try {
            sendDelta(address, request, DeltaKind.TOOL_STARTED, null);
            result = invoker.invoke(request, deliveryCount);
        } finally {
            inFlight.decrementAndGet();
        }
        sendDelta(address, request, DeltaKind.TOOL_FINISHED, result.getStatus().name());
        try {
            producer.sendAndWait(topics.toolResults, address, result, PRODUCE_TIMEOUT);
        } catch (KafkaException e) {
            failed.incrementAndGet();
            log.error("[{} turn {}] cannot write the result of {} ({}); the request is released for another try",
                    address, request.getTurnId(), request.getTool(), request.getCallId(), e);
            return AcknowledgeType.RELEASE;
        }
        completed.incrementAndGet();
        if (result.getStatus() != ToolStatus.OK) {
            failed.incrementAndGet();
        }
        log.info("[{} turn {}] {} ({}) {} in {} ms", address, request.getTurnId(), request.getTool(), request.getCallId(),
                result.getStatus(), result.getDurationMs());
        return AcknowledgeType.ACCEPT;
    }

    // Until locks are renewed (AcknowledgeType.RENEW), a call longer than the broker's record lock
    // is delivered again to another worker while it still runs here: say so once.
    private void warnWhenLongerThanLock(ToolRequest request) {
        Tool tool = invoker.tools().get(request.getTool());
        Integer lockMs = loop.acquisitionLockTimeoutMs().orElse(null);
        if (tool != null && lockMs != null && tool.timeoutMs() > lockMs && lockWarnings.getAndIncrement() == 0) {
            log.warn("Tool {} may run {} ms but the share group locks a request for {} ms: long calls may run twice",
                    tool.name(), tool.timeoutMs(), lockMs);
        }
    }

    private void sendDelta(String address, ToolRequest request, DeltaKind kind, String text) {
        AgentDelta delta = AgentDelta.newBuilder()
                .setTenant(request.getTenant())
                .setSessionId(request.getSessionId())
                .setTurnId(request.getTurnId())
                .setStep(request.getStep())
                .setKind(kind)
                .setText(text)
                .setCallId(request.getCallId())
                .setTool(request.getTool())
                .setTier(options.tier())
                .setWorker(options.workerId())
                .setTimestampMs(System.currentTimeMillis())
                .build();
        // Deltas are a live view with short retention: not waited for; failures are logged.
        producer.send(topics.deltas, address, delta).whenComplete((metadata, error) -> {
            if (error != null) {
                log.warn("[{} turn {}] a {} delta was not written: {}", address, request.getTurnId(), kind, error.getMessage());
            }
        });
    }

    private WorkerHeartbeat heartbeat(boolean stopping) {
        ResourceSpec capabilities = ResourceSpec.newBuilder()
                .setCpus(Runtime.getRuntime().availableProcessors())
                .setGpus(0)
                .setMemoryBytes(Runtime.getRuntime().maxMemory())
                .build();
        return WorkerHeartbeat.newBuilder()
                .setWorkerId(options.workerId())
                .setHost(hostName())
                .setTiers(List.of(options.tier()))
                .setCapabilities(capabilities)
                .setTools(new ArrayList<>(invoker.tools().keySet()))
                .setInFlight(inFlight.get())
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

    /** Stops taking calls, finishes the running ones (up to the longest tool timeout), says goodbye, closes. Idempotent. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        long longest = invoker.tools().values().stream().mapToLong(Tool::timeoutMs).max().orElse(30_000);
        loop.close(Duration.ofMillis(longest).plus(PRODUCE_TIMEOUT));
        heartbeats.shutdownNow();
        try {
            producer.sendAndWait(topics.workers, options.workerId(), heartbeat(true), Duration.ofSeconds(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("Worker {}: interrupted before its last heartbeat was written", options.workerId());
        } catch (KafkaException e) {
            log.warn("Worker {}: its stopping heartbeat was not written; routers will notice it is gone when heartbeats stop",
                    options.workerId(), e);
        }
        toolThreads.shutdownNow();
        producer.close();
        log.info("Worker {} stopped: {} calls completed, {} failed, {} dead-lettered",
                options.workerId(), completed(), failed(), deadLettered());
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
        return n + (n % 100 >= 11 && n % 100 <= 13 ? "th" : switch (n % 10) {
            case 1 -> "st";
            case 2 -> "nd";
            case 3 -> "rd";
            default -> "th";
        });
    }
}
