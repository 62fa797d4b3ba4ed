package dev.skein.workers;

import dev.skein.events.DeadLetter;
import dev.skein.events.ResourceSpec;
import dev.skein.events.ToolRequest;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.Topic;
import dev.skein.schemas.kafka.Dispatch;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.node.NodeCapabilities;
import dev.skein.workers.node.WorkerAdmission;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** A worker's parts wired as {@link ToolWorker} wires them, writing to a {@link MockProducer}. */
final class WorkerFixture implements AutoCloseable {

    static final String TIER = "small";

    final SkeinTopics topics = new SkeinTopics(SkeinTopics.DEFAULT_PREFIX, new InMemorySchemaRegistry());
    final MockProducer<String, byte[]> kafka;
    final EventProducer producer;
    final WorkerOptions options;
    final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    final ToolInvoker invoker;
    final WorkerAdmission admission;
    final WorkerMetrics metrics;
    final RequestHandler handler;

    WorkerFixture(Resources capacity, List<Tool> tools) {
        this(capacity, tools, true);
    }

    /** @param acknowledged whether the broker acknowledges every send at once; else the test completes them */
    WorkerFixture(Resources capacity, List<Tool> tools, boolean acknowledged) {
        kafka = new MockProducer<>(acknowledged, null, new StringSerializer(), new ByteArraySerializer());
        producer = new EventProducer(kafka, "worker:w1");
        options = WorkerOptions.builder()
                .workerId("w1")
                .tier(TIER)
                .capabilities(NodeCapabilities.of(capacity))
                .heartbeatInterval(Duration.ofSeconds(5))
                .maxInFlight(4)
                .sessionTimeout(Optional.empty())
                .deliveryLimit(3)
                .dispatch(Dispatch.COMMITTED)
                .build();
        invoker = new ToolInvoker(tools, "w1", threads, System::currentTimeMillis, duration -> {});
        admission = new WorkerAdmission(capacity);
        metrics = new WorkerMetrics(new SimpleMeterRegistry(), "w1", options.tiers(), admission);
        handler = new RequestHandler(topics, options, invoker, admission, metrics, producer);
    }

    ConsumerRecord<String, byte[]> record(ToolRequest request, int deliveryCount) {
        return record(
                topics.tools(TIER)
                        .valueSerde()
                        .serializer()
                        .serialize(topics.tools(TIER).name(), request),
                deliveryCount);
    }

    ConsumerRecord<String, byte[]> record(byte[] value, int deliveryCount) {
        return new ConsumerRecord<>(
                topics.tools(TIER).name(),
                2,
                17L,
                0L,
                TimestampType.CREATE_TIME,
                -1,
                value == null ? -1 : value.length,
                "call-1",
                value,
                new RecordHeaders(),
                Optional.empty(),
                Optional.of((short) deliveryCount));
    }

    static ToolRequest request(String tool, String arguments) {
        return ToolRequest.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStep(0)
                .setCallId("call-1")
                .setTool(tool)
                .setArgumentsJson(arguments)
                .setTier(TIER)
                .setResources(ResourceSpec.newBuilder().build())
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .build();
    }

    /** The values written to {@code topic}, deserialized, with their keys. */
    <V> List<ProducerRecord<String, V>> written(Topic<String, V> topic) {
        return kafka.history().stream()
                .filter(r -> r.topic().equals(topic.name()))
                .map(r -> new ProducerRecord<>(
                        r.topic(), r.key(), topic.valueSerde().deserializer().deserialize(r.topic(), r.value())))
                .toList();
    }

    List<ProducerRecord<String, DeadLetter>> deadLetters() {
        return written(topics.deadLetters);
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}
