package dev.skein.schemas.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;

class ShareConsumersTest {

    @Test
    void setsWhatTheBatchLoopReliesOn() {
        Map<String, Object> config = ShareConsumers.config(
                Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "broker:9092"),
                "skein-agents",
                "skein-agent-runner",
                8);

        assertThat(config)
                .containsEntry(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "broker:9092")
                .containsEntry(ConsumerConfig.GROUP_ID_CONFIG, "skein-agents")
                .containsEntry(ConsumerConfig.CLIENT_ID_CONFIG, "skein-agent-runner")
                .containsEntry(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit")
                .containsEntry("share.acquire.mode", "record_limit")
                .containsEntry(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 8);
    }

    @Test
    void aConfiguredClientIdWinsButTheLoopsSettingsDoNot() {
        Map<String, Object> config = ShareConsumers.config(
                Map.of(
                        ConsumerConfig.CLIENT_ID_CONFIG, "mine",
                        ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "implicit",
                        ConsumerConfig.GROUP_ID_CONFIG, "other"),
                "skein-workers-small",
                "skein-worker-w1-small",
                4);

        assertThat(config)
                .containsEntry(ConsumerConfig.CLIENT_ID_CONFIG, "mine")
                .containsEntry(ConsumerConfig.SHARE_ACKNOWLEDGEMENT_MODE_CONFIG, "explicit")
                .containsEntry(ConsumerConfig.GROUP_ID_CONFIG, "skein-workers-small");
    }

    @Test
    void refusesToHoldNothing() {
        assertThatThrownBy(() -> ShareConsumers.config(Map.of(), "g", "c", 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxInFlight must be at least 1");
    }

    @Test
    void aPoolsConsumersSplitItsRecordsInFlightAndNeverOutnumberThem() {
        assertThat(ShareConsumers.batchSizes(64, 4)).containsExactly(16, 16, 16, 16);
        assertThat(ShareConsumers.batchSizes(16, 3)).containsExactly(6, 5, 5);
        assertThat(ShareConsumers.batchSizes(1, 4)).containsExactly(1);
        assertThat(ShareConsumers.batchSizes(2, 2)).containsExactly(1, 1);
        assertThatThrownBy(() -> ShareConsumers.batchSizes(0, 2)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ShareConsumers.batchSizes(4, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
