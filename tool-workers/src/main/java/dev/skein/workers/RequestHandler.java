package dev.skein.workers;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeltaKind;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.errors.DeadLetters;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.workers.node.WorkerAdmission;
import dev.skein.workers.tracing.ToolSpans;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tool request's path through a worker, from the record to its acknowledgement: a tool this
 * worker does not have, or whose needs exceed what the node offers, is RELEASEd for another worker
 * of the pool, until its delivery count reaches the delivery limit: then it is answered with an
 * ERROR result, so the turn goes on. Otherwise it waits for admission, runs, and is answered with a
 * {@link ToolResult} keyed by the session address; a call whose retries are exhausted is also
 * written to the dead-letter topic. A request is ACCEPTed only after its result was acknowledged
 * by the broker; a result that cannot be written RELEASEs it for another try.
 */
final class RequestHandler {

    private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
    static final Duration PRODUCE_TIMEOUT = Duration.ofSeconds(30);

    private final SkeinTopics topics;
    private final WorkerOptions options;
    private final ToolInvoker invoker;
    private final WorkerAdmission admission;
    private final WorkerMetrics metrics;
    private final EventProducer producer;
    private final String component;
    private final AtomicLong completed = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();

    RequestHandler(
            SkeinTopics topics,
            WorkerOptions options,
            ToolInvoker invoker,
            WorkerAdmission admission,
            WorkerMetrics metrics,
            EventProducer producer) {
        this.topics = topics;
        this.options = options;
        this.invoker = invoker;
        this.admission = admission;
        this.metrics = metrics;
        this.producer = producer;
        this.component = component(options.workerId());
    }

    /** Who writes this worker's dead letters and records: {@code worker:<id>}. */
    static String component(String workerId) {
        return "worker:" + workerId;
    }

    /** Calls answered with a result (of any status). */
    long completed() {
        return completed.get();
    }

    /** Calls answered with ERROR or TIMEOUT, or released because their result could not be written. */
    long failed() {
        return failed.get();
    }

    /** Records written to the dead-letter topic: unreadable requests, and calls whose retries were exhausted. */
    long deadLettered() {
        return deadLettered.get();
    }

    /** Handles one record of {@code tier}'s topic, running every call, and says how to acknowledge it. */
    AcknowledgeType handle(String tier, ConsumerRecord<String, byte[]> record) throws InterruptedException {
        return handle(tier, TierShare.Runs.ALL, record);
    }

    /**
     * Handles one record of {@code tier}'s topic read by a group that runs the calls {@code runs}
     * takes; another call is ACCEPTed unrun: the tier's other group runs it.
     */
    AcknowledgeType handle(String tier, TierShare.Runs runs, ConsumerRecord<String, byte[]> record)
            throws InterruptedException {
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
        if (!runs.takes(request)) {
            return AcknowledgeType.ACCEPT;
        }
        String address = SessionAddress.key(request.getTenant(), request.getSessionId());
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
        Span span = ToolSpans.start(
                record.headers(), request, tier, options.workerId(), deliveryCount, System.currentTimeMillis());
        try (Scope ignored = span.makeCurrent()) {
            AcknowledgeType acknowledged = take(tier, record, request, address, deliveryCount);
            ToolSpans.acknowledged(span, acknowledged);
            return acknowledged;
        } finally {
            span.end();
        }
    }

    private AcknowledgeType take(
            String tier, ConsumerRecord<String, byte[]> record, ToolRequest request, String address, int deliveryCount)
            throws InterruptedException {
        Tool tool = invoker.tools().get(request.getTool());
        String refusal =
                tool == null ? invoker.unknownTool(request.getTool()) : admission.whyNeverFits(tool.resources());
        if (refusal != null) {
            return refuse(tier, request, address, deliveryCount, tool, refusal);
        }
        return run(tier, record, request, address, deliveryCount, tool);
    }

    private AcknowledgeType run(
            String tier,
            ConsumerRecord<String, byte[]> record,
            ToolRequest request,
            String address,
            int deliveryCount,
            Tool tool)
            throws InterruptedException {
        long admittedAt;
        ToolInvoker.Invocation invocation;
        AtomicInteger running = metrics.inFlight(tier);
        running.incrementAndGet();
        long startedAtMs;
        try (WorkerAdmission.Permit permit = admission.acquire(tool.resources())) {
            admittedAt = System.nanoTime();
            startedAtMs = System.currentTimeMillis();
            metrics.admitted(tier);
            sendDelta(tier, address, request, DeltaKind.TOOL_STARTED, null);
            invocation = invoker.invoke(request, deliveryCount);
        } finally {
            running.decrementAndGet();
        }
        ToolResult result = invocation.result();
        // Where the request was in the log, and when it left the queue (admitted): for the turn's decision trace.
        result.setRequestPartition(record.partition());
        result.setRequestOffset(record.offset());
        result.setStartedAtMs(startedAtMs);
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
        ToolSpans.answered(result);
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
        var letter = DeadLetters.from(record.topic(), record.partition(), record.offset())
                .key(record.key())
                .value(record.value())
                .rejectedBy(component, cause);
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

    /** Dead-letters a record of a tier topic that could not be deserialized at all (the loop's poison handler). */
    boolean deadLetterPoison(RecordDeserializationException poison) {
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
        producer.sendDelta(topics.deltas, address, delta);
    }

    static String ordinal(int n) {
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
