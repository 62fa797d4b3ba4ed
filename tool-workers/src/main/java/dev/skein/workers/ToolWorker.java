package dev.skein.workers;

import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolResult;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.schemas.kafka.ShareBatchLoop;
import dev.skein.schemas.kafka.ShareGroups;
import dev.skein.workers.node.WorkerAdmission;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaException;
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
 *
 * <p>Its parts: {@link WorkerOptions} (how it runs), {@code RequestHandler} (one request's path),
 * {@code Heartbeats}, {@code TierLoops} (the poll loops); this class starts and closes them.
 */
public final class ToolWorker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ToolWorker.class);
    private static final Duration CATALOG_TIMEOUT = Duration.ofSeconds(30);

    private final Map<String, Object> kafkaConfig;
    private final SkeinTopics topics;
    private final WorkerOptions options;
    private final ExecutorService toolThreads;
    private final ToolInvoker invoker;
    private final EventProducer producer;
    private final WorkerAdmission admission;
    private final WorkerMetrics metrics;
    private final RequestHandler requests;
    private final Heartbeats heartbeats;
    private final TierLoops loops;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    /** A worker with its meters in a private {@link SimpleMeterRegistry}. */
    public ToolWorker(
            Map<String, Object> kafkaConfig,
            SkeinTopics topics,
            Collection<? extends Tool> tools,
            WorkerOptions options) {
        this(kafkaConfig, topics, tools, options, new SimpleMeterRegistry());
    }

    public ToolWorker(
            Map<String, Object> kafkaConfig,
            SkeinTopics topics,
            Collection<? extends Tool> tools,
            WorkerOptions options,
            MeterRegistry registry) {
        this.kafkaConfig = Map.copyOf(kafkaConfig);
        this.topics = Objects.requireNonNull(topics, "topics");
        this.options = Objects.requireNonNull(options, "options");
        Objects.requireNonNull(registry, "registry");
        if (tools.isEmpty()) {
            throw new IllegalArgumentException("worker " + options.workerId() + " has no tools to run");
        }
        this.toolThreads = Executors.newThreadPerTaskExecutor(
                Thread.ofVirtual().name("skein-tool-", 0).factory());
        this.invoker = new ToolInvoker(tools, options.workerId(), toolThreads, System::currentTimeMillis);
        this.admission = new WorkerAdmission(options.capabilities().resources());
        this.metrics = new WorkerMetrics(registry, options.workerId(), options.tiers(), admission);
        this.producer = new EventProducer(this.kafkaConfig, RequestHandler.component(options.workerId()));
        this.requests = new RequestHandler(topics, options, invoker, admission, metrics, producer);
        this.heartbeats = new Heartbeats(topics, options, invoker.tools().keySet(), admission, metrics, producer);
        this.loops = new TierLoops(this.kafkaConfig, topics, options, requests);
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
            ToolCatalog.check(
                    definitions,
                    ToolCatalog.read(
                            kafkaConfig,
                            topics.toolCatalog,
                            CATALOG_TIMEOUT,
                            poison -> producer.deadLetter(topics.deadLetters, poison)));
        } catch (ToolCatalog.ConflictException e) {
            log.error("Worker {} refuses to start: {}", options.workerId(), e.getMessage());
            throw e;
        }
        for (ToolDefinition definition : definitions) {
            producer.sendAndWait(topics.toolCatalog, definition.getName(), definition, RequestHandler.PRODUCE_TIMEOUT);
        }
        heartbeats.hello();
        try (Admin admin = Admin.create(kafkaConfig)) {
            for (String tier : options.tiers()) {
                for (TierShare share : TierShare.of(topics, tier, options.dispatch(tier))) {
                    ShareGroups.configure(admin, share.group(), share.isolation(), options.sessionTimeout());
                }
            }
        }
        loops.start();
        heartbeats.start();
        log.info(
                "Worker {} started on tiers {} offering {} with tools {}",
                options.workerId(),
                options.tiers(),
                options.capabilities(),
                invoker.tools().keySet());
    }

    /**
     * Offers more tools while running (an MCP server's, once it connected or changed its list):
     * checks them against the catalog, publishes them, adds them, and sends a heartbeat at once so
     * routers see them without waiting for the next interval.
     *
     * @throws ToolCatalog.ConflictException when one contradicts the catalog; none was added
     */
    public void offer(Collection<? extends Tool> tools) throws InterruptedException {
        List<ToolDefinition> definitions = tools.stream()
                .map(tool -> ToolDefinitions.of(tool, options.workerId()))
                .toList();
        ToolCatalog.check(
                definitions,
                ToolCatalog.read(
                        kafkaConfig,
                        topics.toolCatalog,
                        CATALOG_TIMEOUT,
                        poison -> producer.deadLetter(topics.deadLetters, poison)));
        for (ToolDefinition definition : definitions) {
            producer.sendAndWait(topics.toolCatalog, definition.getName(), definition, RequestHandler.PRODUCE_TIMEOUT);
        }
        invoker.offer(tools);
        if (started.get()) {
            heartbeats.hello();
        }
    }

    /**
     * Stops offering the tools named {@code names} (their MCP server disconnected or dropped them):
     * the next heartbeat, sent at once, no longer lists them, so routers refuse their calls with a
     * reason instead of sending them here. Their catalog entries stay (another worker may offer them).
     */
    public void withdraw(Collection<String> names) throws InterruptedException {
        invoker.withdraw(names);
        if (started.get()) {
            heartbeats.hello();
        }
    }

    /** The names of the tools this worker offers now. */
    public java.util.Set<String> toolNames() {
        return java.util.Set.copyOf(invoker.tools().keySet());
    }

    /** The worker's id. */
    public String workerId() {
        return options.workerId();
    }

    /** Calls answered with a result (of any status). */
    public long completed() {
        return requests.completed();
    }

    /** Calls answered with ERROR or TIMEOUT, or released because their result could not be written. */
    public long failed() {
        return requests.failed();
    }

    /** Records written to the dead-letter topic: unreadable requests, and calls whose retries were exhausted. */
    public long deadLettered() {
        return requests.deadLettered();
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
        return loops.renewals();
    }

    /** Calls running now. */
    public int inFlight() {
        return metrics.inFlightTotal();
    }

    /** True once started and until closed or a tier's consumer stopped on a fatal error. */
    public boolean isRunning() {
        return loops.isRunning();
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
        loops.close(options.drainTimeout().plus(RequestHandler.PRODUCE_TIMEOUT));
        heartbeats.close();
        // A worker that refused to start never said hello, so it does not say goodbye either.
        if (loops.isStarted()) {
            heartbeats.goodbye();
            heartbeats.leave();
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
}
