package dev.skein.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.events.ToolResult;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.builtin.BuiltinTools;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockShareConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TierLoopsTest {

    private final WorkerFixture worker =
            new WorkerFixture(Resources.DEFAULT.withCpus(2), new ArrayList<>(BuiltinTools.all()));
    private final Map<String, MockShareConsumer<String, byte[]>> consumers = new HashMap<>();
    private final TierLoops loops = new TierLoops(worker.topics, worker.options, worker.handler, tier -> {
        MockShareConsumer<String, byte[]> consumer = new MockShareConsumer<>();
        consumers.put(tier, consumer);
        return consumer;
    });

    @AfterEach
    void close() {
        loops.close(Duration.ofSeconds(5));
        worker.close();
    }

    @Test
    void eachTierIsPolledFromItsTopicAndItsRecordsHandled() {
        assertThat(loops.isStarted()).isFalse();
        assertThat(loops.isRunning()).isFalse();

        loops.start();

        assertThat(loops.isRunning()).isTrue();
        assertThat(consumers).containsOnlyKeys("small");
        assertThat(consumers.get("small").subscription()).containsExactly("skein.tools.small");
        ConsumerRecord<String, byte[]> record =
                worker.record(WorkerFixture.request("calculator", "{\"expression\":\"2+3\"}"), 1);
        consumers.get("small").addRecord(record);
        await().atMost(Duration.ofSeconds(10))
                .until(() -> !worker.written(worker.topics.toolResults).isEmpty());
        List<ToolResult> results = worker.written(worker.topics.toolResults).stream()
                .map(r -> r.value())
                .toList();
        assertThat(results)
                .singleElement()
                .satisfies(r -> assertThat(r.getOutput()).isEqualTo("5"));
    }

    @Test
    void closingStopsEveryTier() {
        loops.start();

        loops.close(Duration.ofSeconds(5));

        assertThat(loops.isRunning()).isFalse();
        assertThat(loops.isStarted()).isTrue();
    }
}
