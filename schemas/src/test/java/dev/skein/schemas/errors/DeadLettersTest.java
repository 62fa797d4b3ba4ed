package dev.skein.schemas.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.DeadLetter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class DeadLettersTest {

    @Test
    void carriesOriginRawBytesComponentAndCause() {
        DeadLetter letter = DeadLetters.from("skein.turns", 3, 42L)
                .key("default/s1")
                .value(new byte[] {0, 1, 2})
                .at(1234L)
                .rejectedBy("session-topology", "not Avro");

        assertThat(letter.getTopic()).isEqualTo("skein.turns");
        assertThat(letter.getPartition()).isEqualTo(3);
        assertThat(letter.getOffset()).isEqualTo(42L);
        assertThat(letter.getKey()).isEqualTo(ByteBuffer.wrap("default/s1".getBytes(StandardCharsets.UTF_8)));
        assertThat(letter.getValue()).isEqualTo(ByteBuffer.wrap(new byte[] {0, 1, 2}));
        assertThat(letter.getComponent()).isEqualTo("session-topology");
        assertThat(letter.getCause()).isEqualTo("not Avro");
        assertThat(letter.getTimestampMs()).isEqualTo(1234L);
    }

    @Test
    void missingKeyAndValueStayNullAndTheTimeDefaultsToNow() {
        long before = System.currentTimeMillis();
        DeadLetter letter = DeadLetters.from("skein.workers", DeadLetters.UNKNOWN_PARTITION, DeadLetters.UNKNOWN_OFFSET)
                .key((String) null)
                .value(null)
                .rejectedBy("worker:w1", "tombstone");

        assertThat(letter.getKey()).isNull();
        assertThat(letter.getValue()).isNull();
        assertThat(letter.getPartition()).isEqualTo(-1);
        assertThat(letter.getTimestampMs()).isBetween(before, System.currentTimeMillis());
    }

    @Test
    void aCauseIsRequired() {
        assertThatThrownBy(() -> DeadLetters.from("t", 0, 0).rejectedBy("c", null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("cause");
    }
}
