package dev.skein.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class RetryTest {

    @Test
    void backoffGrowsByTheMultiplierUpToTheMaximum() {
        Retry retry = Retry.none().withMaxAttempts(6).withBackoff(Duration.ofMillis(200), 2.0, Duration.ofMillis(1000));

        assertThat(retry.backoffBefore(2)).isEqualTo(Duration.ofMillis(200));
        assertThat(retry.backoffBefore(3)).isEqualTo(Duration.ofMillis(400));
        assertThat(retry.backoffBefore(4)).isEqualTo(Duration.ofMillis(800));
        assertThat(retry.backoffBefore(5)).isEqualTo(Duration.ofMillis(1000));
        assertThat(retry.backoffBefore(60)).isEqualTo(Duration.ofMillis(1000));
        assertThatThrownBy(() -> retry.backoffBefore(1)).hasMessageContaining("first retry is attempt 2");
    }

    @Test
    void retryOnMatchesSimpleAndQualifiedNamesAndSubclassesButNothingElse() {
        Retry bySimple = Retry.none().on("IOException");
        Retry byQualified = Retry.none().on(IOException.class);

        assertThat(bySimple.retries(new IOException("x"))).isTrue();
        assertThat(bySimple.retries(new FileNotFoundException("x"))).isTrue();
        assertThat(byQualified.retries(new FileNotFoundException("x"))).isTrue();
        assertThat(byQualified.retriesTimeout()).isFalse();
        assertThat(bySimple.retries(new UncheckedIOException(new IOException("wrapped"))))
                .isFalse();
        assertThat(bySimple.retries(new TimeoutException())).isFalse();
        assertThat(Retry.none().retries(new IOException()))
                .as("empty retryOn: nothing retries")
                .isFalse();
        assertThat(Retry.none().onTimeout().retriesTimeout()).isTrue();
    }

    @Test
    void aRetryableToolFailureRetriesAndAPlainOneDoesNot() {
        assertThat(Retry.none().retries(ToolFailure.retryable("busy"))).isTrue();
        assertThat(Retry.none().retries(new ToolFailure("bad input"))).isFalse();
    }

    @Test
    void theWireFormRoundTripsAndItsDefaultsAreNone() {
        Retry retry = Retry.none()
                .withMaxAttempts(3)
                .withBackoff(Duration.ofMillis(50), 1.5, Duration.ofSeconds(2))
                .onTimeout()
                .on(IOException.class);

        assertThat(Retry.of(retry.toPolicy())).isEqualTo(retry);
        assertThat(Retry.of(dev.skein.events.RetryPolicy.newBuilder().build())).isEqualTo(Retry.none());
    }

    @Test
    void nonsenseIsRefusedWithTheReason() {
        assertThatThrownBy(() -> Retry.none().withMaxAttempts(0))
                .hasMessageContaining("maxAttempts must be at least 1");
        assertThatThrownBy(() -> Retry.none().withBackoff(Duration.ofSeconds(5), 2, Duration.ofSeconds(1)))
                .hasMessageContaining("initial");
        assertThatThrownBy(() -> Retry.none().withBackoff(Duration.ofSeconds(1), 0.5, Duration.ofSeconds(1)))
                .hasMessageContaining("multiplier");
    }
}
