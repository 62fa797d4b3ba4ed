package dev.skein.ingress;

import dev.skein.schemas.SessionAddress;
import java.time.Duration;

/**
 * Settings of the HTTP/WebSocket ingress. The compact constructor validates every value and names
 * the bad key in its message.
 *
 * @param host            interface to listen on ({@code skein.http.host}, default {@code 0.0.0.0})
 * @param port            TCP port ({@code skein.http.port}, default 8080; 0 picks a free port)
 * @param maxMessageBytes largest user message in UTF-8 bytes ({@code skein.http.max-message-bytes}, default 32768)
 * @param defaultTenant   tenant of requests without the tenant header ({@code skein.http.default-tenant})
 * @param tenantHeader    header naming the tenant (fixed, default {@code X-Skein-Tenant})
 * @param defaultWait     how long {@code ?wait=true} waits for a turn ({@code skein.http.default-wait}, default 30 s)
 * @param maxWait         cap on any requested wait ({@code skein.http.max-wait}, default 120 s)
 * @param workerTimeout   a worker whose last heartbeat is older than this is shown as not live by
 *                        {@code GET /v1/workers} ({@code skein.session.worker-timeout}, default 15 s)
 */
public record IngressConfig(
        String host,
        int port,
        int maxMessageBytes,
        String defaultTenant,
        String tenantHeader,
        Duration defaultWait,
        Duration maxWait,
        Duration workerTimeout) {

    public static final Duration DEFAULT_WORKER_TIMEOUT = Duration.ofSeconds(15);

    public IngressConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("skein.http.host must not be blank");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException(
                    "skein.http.port must be between 0 and 65535 (0 picks a free port), got " + port);
        }
        if (maxMessageBytes < 1) {
            throw new IllegalArgumentException("skein.http.max-message-bytes must be positive, got " + maxMessageBytes);
        }
        if (!SessionAddress.isValidPart(defaultTenant)) {
            throw new IllegalArgumentException("skein.http.default-tenant '" + defaultTenant
                    + "' is invalid: use 1 to 128 of the characters A-Z a-z 0-9 . _ -");
        }
        if (tenantHeader == null || tenantHeader.isBlank()) {
            throw new IllegalArgumentException("skein.http.tenant-header must not be blank");
        }
        if (maxWait == null || maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("skein.http.max-wait must be positive, got " + maxWait);
        }
        if (defaultWait == null
                || defaultWait.isNegative()
                || defaultWait.isZero()
                || defaultWait.compareTo(maxWait) > 0) {
            throw new IllegalArgumentException(
                    "skein.http.default-wait must be positive and at most skein.http.max-wait (" + maxWait + "), got "
                            + defaultWait);
        }
        if (workerTimeout == null || workerTimeout.isNegative() || workerTimeout.isZero()) {
            throw new IllegalArgumentException("skein.session.worker-timeout must be positive, got " + workerTimeout);
        }
    }

    /** The settings before {@code workerTimeout} existed: it takes its default of 15 s. */
    public IngressConfig(
            String host,
            int port,
            int maxMessageBytes,
            String defaultTenant,
            String tenantHeader,
            Duration defaultWait,
            Duration maxWait) {
        this(host, port, maxMessageBytes, defaultTenant, tenantHeader, defaultWait, maxWait, DEFAULT_WORKER_TIMEOUT);
    }

    public static IngressConfig defaults() {
        return new IngressConfig(
                "0.0.0.0",
                8080,
                32_768,
                "default",
                "X-Skein-Tenant",
                Duration.ofSeconds(30),
                Duration.ofSeconds(120),
                DEFAULT_WORKER_TIMEOUT);
    }

    public IngressConfig withHost(String newHost) {
        return new IngressConfig(
                newHost, port, maxMessageBytes, defaultTenant, tenantHeader, defaultWait, maxWait, workerTimeout);
    }

    public IngressConfig withPort(int newPort) {
        return new IngressConfig(
                host, newPort, maxMessageBytes, defaultTenant, tenantHeader, defaultWait, maxWait, workerTimeout);
    }

    public IngressConfig withMaxMessageBytes(int newMax) {
        return new IngressConfig(host, port, newMax, defaultTenant, tenantHeader, defaultWait, maxWait, workerTimeout);
    }

    public IngressConfig withDefaultTenant(String tenant) {
        return new IngressConfig(
                host, port, maxMessageBytes, tenant, tenantHeader, defaultWait, maxWait, workerTimeout);
    }

    public IngressConfig withWaits(Duration newDefaultWait, Duration newMaxWait) {
        return new IngressConfig(
                host, port, maxMessageBytes, defaultTenant, tenantHeader, newDefaultWait, newMaxWait, workerTimeout);
    }

    public IngressConfig withWorkerTimeout(Duration newWorkerTimeout) {
        return new IngressConfig(
                host, port, maxMessageBytes, defaultTenant, tenantHeader, defaultWait, maxWait, newWorkerTimeout);
    }

    /**
     * Largest HTTP body or WebSocket message accepted before parsing. JSON escaping can make a
     * message up to six times longer on the wire ({@code \}{@code uXXXX}), so the body limit leaves
     * room for that; the message itself is then checked against {@link #maxMessageBytes}.
     */
    public int maxBodyBytes() {
        return (int) Math.min(Integer.MAX_VALUE, 6L * maxMessageBytes + 4096);
    }
}
