package dev.skein.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ScaleLoadTest {

    /** The layout of the session activity index: tenant 0x00 bucket(8 bytes, big-endian) sessionId. */
    private static byte[] activityKey(String tenant, long bucket, String sessionId) {
        byte[] t = tenant.getBytes(StandardCharsets.UTF_8);
        byte[] s = sessionId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(t.length + 1 + Long.BYTES + s.length)
                .put(t)
                .put((byte) 0)
                .putLong(bucket)
                .put(s)
                .array();
    }

    @Test
    void aCopiedActivityEntryKeepsItsBucketAndNamesTheCopy() {
        byte[] copied =
                ScaleLoad.replaceActivitySession(activityKey("bench", 0x0102030405L, "tmpl"), "tmpl", "scale-12345");

        assertThat(copied).isEqualTo(activityKey("bench", 0x0102030405L, "scale-12345"));
    }

    @Test
    void aBucketWhoseBytesSpellTheSessionIdIsNotReplaced() {
        // Only the trailing session id is the session's: the bucket's bytes may match it by chance.
        long bucket = ByteBuffer.wrap("abab\0\0\0\0".getBytes(StandardCharsets.US_ASCII))
                .getLong();
        byte[] copied = ScaleLoad.replaceActivitySession(activityKey("bench", bucket, "ab"), "ab", "zz");

        assertThat(copied).isEqualTo(activityKey("bench", bucket, "zz"));
    }

    @Test
    void anActivityKeyOfAnotherSessionIsRefused() {
        assertThatThrownBy(() -> ScaleLoad.replaceActivitySession(activityKey("bench", 7, "other"), "tmpl", "x"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void anAddressInsideAKeyIsReplacedOnce() {
        byte[] key = "bench/tmpl\0\0\0\1".getBytes(StandardCharsets.UTF_8);
        byte[] copied = ScaleLoad.replace(
                key, "bench/tmpl".getBytes(StandardCharsets.UTF_8), "bench/s-1".getBytes(StandardCharsets.UTF_8));

        assertThat(new String(copied, StandardCharsets.UTF_8)).isEqualTo("bench/s-1\0\0\0\1");
    }
}
