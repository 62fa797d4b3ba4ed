package dev.skein.ingress;

/**
 * A turn or a stream refused because its tenant is at a quota: 429 with {@code Retry-After}, or
 * an error frame on a WebSocket. Nothing was accepted.
 *
 * @see TenantQuotas
 */
final class QuotaExceededException extends RuntimeException {

    private final String quota;
    private final long retryAfterSeconds;

    QuotaExceededException(String quota, String message, long retryAfterSeconds) {
        super(message, null, false, false);
        this.quota = quota;
        this.retryAfterSeconds = Math.max(1, retryAfterSeconds);
    }

    /** The configuration key of the quota, e.g. {@code turns-per-minute}. */
    String quota() {
        return quota;
    }

    long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
