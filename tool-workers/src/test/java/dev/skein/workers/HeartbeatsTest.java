package dev.skein.workers;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.builtin.BuiltinTools;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HeartbeatsTest {

    private final WorkerFixture worker =
            new WorkerFixture(Resources.DEFAULT.withCpus(2), new ArrayList<>(BuiltinTools.all()));
    private final Heartbeats heartbeats = new Heartbeats(
            worker.topics,
            worker.options,
            worker.invoker.tools().keySet(),
            worker.admission,
            worker.metrics,
            worker.producer);

    @AfterEach
    void close() {
        heartbeats.close();
        worker.close();
    }

    @Test
    void theHeartbeatCountsCallsByTheTierTheyCameFrom() {
        String tier = worker.options.tiers().getFirst();
        worker.metrics.admitted(tier);
        worker.metrics.admitted(tier);

        WorkerHeartbeat beat = heartbeats.heartbeat(false);

        assertThat(beat.getAdmittedByTier()).containsEntry(tier, 2L);
        assertThat(beat.getAdmittedByTier().keySet()).containsExactlyInAnyOrderElementsOf(worker.options.tiers());
        assertThat(beat.getInFlightByTier()).containsEntry(tier, 0);
    }

    @Test
    void reportsTheWorkersTiersCapabilitiesToolsAndLoad() {
        worker.admission.tryAcquire(Resources.DEFAULT);

        WorkerHeartbeat beat = heartbeats.heartbeat(false);

        assertThat(beat.getWorkerId()).isEqualTo("w1");
        assertThat(beat.getTiers()).containsExactly("small");
        assertThat(Resources.of(beat.getCapabilities())).isEqualTo(Resources.DEFAULT.withCpus(2));
        assertThat(beat.getTools())
                .containsExactlyInAnyOrderElementsOf(worker.invoker.tools().keySet());
        assertThat(Resources.of(beat.getInUse())).isEqualTo(Resources.DEFAULT);
        assertThat(beat.getAdmitted()).isEqualTo(1);
        assertThat(beat.getStopping()).isFalse();
        assertThat(beat.getStartedAtMs()).isLessThanOrEqualTo(beat.getTimestampMs());
    }

    @Test
    void saysHelloAndGoodbyeUnderTheWorkersId() throws Exception {
        heartbeats.hello();
        heartbeats.goodbye();

        List<ProducerRecord<String, WorkerHeartbeat>> written = worker.written(worker.topics.workers);
        assertThat(written).extracting(ProducerRecord::key).containsExactly("w1", "w1");
        assertThat(written).extracting(r -> r.value().getStopping()).containsExactly(false, true);
    }

    @Test
    void leavingWritesATombstoneSoThatViewsDropTheWorker() throws Exception {
        heartbeats.hello();
        heartbeats.goodbye();
        heartbeats.leave();

        List<ProducerRecord<String, byte[]>> raw = worker.kafka.history().stream()
                .filter(r -> r.topic().equals(worker.topics.workers.name()))
                .toList();
        assertThat(raw).hasSize(3);
        assertThat(raw.getLast().key()).isEqualTo("w1");
        assertThat(raw.getLast().value()).as("a tombstone").isNull();
    }
}
