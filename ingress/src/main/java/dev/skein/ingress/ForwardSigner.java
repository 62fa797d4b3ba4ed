package dev.skein.ingress;

import io.vertx.core.http.HttpServerRequest;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs the requests one instance forwards to another, and checks those it receives: HMAC-SHA256,
 * with the secret all instances share ({@code skein.cluster.secret}), over the time, the method,
 * the URI and the sender. A signature is good for {@link #TOLERANCE} either side of now, which
 * bounds a replay to that window and to the same request. The caller's own credentials travel
 * with the request and are checked by the receiver as if the caller had come to it directly: the
 * signature says only that an instance sent it, so the receiver answers from its own stores and
 * never forwards it again.
 *
 * <p>With no secret (one machine, loopback only) requests are marked but not signed, and a mark
 * is taken as it is: it can do no more than make an instance answer from its own stores.
 */
final class ForwardSigner {

    /** The instance that forwarded the request: its base URL. */
    static final String FORWARDED_BY = "Skein-Forwarded-By";

    static final String SIGNATURE = "Skein-Forward-Signature";

    static final Duration TOLERANCE = Duration.ofSeconds(30);

    private static final String UNSIGNED = "unsigned";
    private static final Pattern SIGNED = Pattern.compile("t=(\\d{1,15}),v=([0-9a-f]{64})");

    /** How a received request stands. */
    enum Verdict {
        /** From a client: it may be forwarded. */
        NOT_FORWARDED,
        /** From another instance, correctly signed: answer from this instance's stores. */
        FORWARDED,
        /** Marked as forwarded, but the signature is missing, wrong or out of date: 401. */
        FORGED
    }

    private final SecretKeySpec key;

    /** @param secret shared by every instance; empty for unsigned marks */
    ForwardSigner(String secret) {
        this.key = secret.isEmpty() ? null : new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256");
    }

    boolean signs() {
        return key != null;
    }

    String sign(String method, String uri, String by, long nowMs) {
        return key == null ? UNSIGNED : "t=" + nowMs + ",v=" + mac(nowMs + "\n" + method + "\n" + uri + "\n" + by);
    }

    Verdict verify(HttpServerRequest request, long nowMs) {
        String by = request.getHeader(FORWARDED_BY);
        if (by == null) {
            return Verdict.NOT_FORWARDED;
        }
        String signature = request.getHeader(SIGNATURE);
        if (key == null) {
            return Verdict.FORWARDED;
        }
        Matcher m = signature == null ? null : SIGNED.matcher(signature);
        if (m == null || !m.matches()) {
            return Verdict.FORGED;
        }
        long at = Long.parseLong(m.group(1));
        if (Math.abs(nowMs - at) > TOLERANCE.toMillis()) {
            return Verdict.FORGED;
        }
        String expected = mac(at + "\n" + request.method().name() + "\n" + request.uri() + "\n" + by);
        // Constant time: the comparison must not tell how much of a guess was right.
        return MessageDigest.isEqual(
                        expected.getBytes(StandardCharsets.US_ASCII), m.group(2).getBytes(StandardCharsets.US_ASCII))
                ? Verdict.FORWARDED
                : Verdict.FORGED;
    }

    private String mac(String text) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return HexFormat.of().formatHex(mac.doFinal(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }
}
