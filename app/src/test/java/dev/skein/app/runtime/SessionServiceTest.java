package dev.skein.app.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.Test;

class SessionServiceTest {

    @Test
    void aTopologyStoppedByAnErrorSaysWhatStoppedItNotThatTheBrokerMayBeUnreachable() {
        Throwable error = new StreamsException(
                "Exception caught during Deserialization",
                new ClassCastException("GlobalProcessorContextImpl cannot be cast to RecordCollector$Supplier"));

        String message = SessionService.notRunning(null, KafkaStreams.State.ERROR, error, "localhost:9092");

        assertThat(message)
                .contains("stopped before it was RUNNING (state ERROR)")
                .contains("Deserialization")
                .contains("ClassCastException")
                .doesNotContain("reachable");
    }

    @Test
    void aTimeoutWithoutAnyErrorPointsAtTheBroker() {
        String message =
                SessionService.notRunning(Duration.ofSeconds(60), KafkaStreams.State.REBALANCING, null, "k:9092");

        assertThat(message).contains("within PT1M").contains("REBALANCING").contains("broker at k:9092 is reachable");
    }
}
