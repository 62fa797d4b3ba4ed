package dev.skein.ingress;

import dev.skein.schemas.SessionAddress;
import java.time.Duration;

/**
 * Settings of the HTTP/WebSocket ingress. The compact constructor validates every value and names
 * the bad key in its message.
 *
 * @param host            interface to listen on ({@code ingress.host}, default {@code 0.0.0.0})
 * @param port            TCP port ({@code ingress.port}, default 8080; 0 picks a free port)
 * @param maxMessageBytes largest user message in UTF-8 bytes ({@code ingress.max-message-bytes}, default 32768)
 * @param defaultTenant   tenant of requests without the tenant header ({@code ingress.default-tenant})
 * @param tenantHeader    header naming the tenant ({@code ingress.tenant-header}, default {@code X-Skein-Tenant})
 * @param defaultWait     how long {@code ?wait=true} waits for a turn ({@code ingress.default-wait}, default 30 s)
 * @param maxWait         cap on any requested wait ({@code ingress.max-wait}, default 120 s)
 */
public record IngressConfig(
        String host,
        int port,
        int maxMessageBytes,
        String defaultTenant,
        String tenantHeader,
        Duration defaultWait,
        Duration maxWait) {

    public IngressConfig {
        if (host == null || host.isBlank()) {
            throw new IllegalArgumentException("ingress.host must not be blank");
        }
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("ingress.port must be between 0 and 65535 (0 picks a free port), got " + port);
        }
        if (maxMessageBytes < 1) {
            throw new IllegalArgumentException("ingress.max-message-bytes must be positive, got " + maxMessageBytes);
        }
        if (!SessionAddress.isValidPart(defaultTenant)) {
            throw new IllegalArgumentException("ingress.default-tenant '" + defaultTenant
                    + "' is invalid: use 1 to 128 of the characters A-Z a-z 0-9 . _ -");
        }
        if (tenantHeader == null || tenantHeader.isBlank()) {
            throw new IllegalArgumentException("ingress.tenant-header must not be blank");
        }
        if (maxWait == null || maxWait.isNegative() || maxWait.isZero()) {
            throw new IllegalArgumentException("ingress.max-wait must be positive, got " + maxWait);
        }
        if (defaultWait == null || defaultWait.isNegative() || defaultWait.isZero() || defaultWait.compareTo(maxWait) > 0) {
            throw new IllegalArgumentException(
                    "ingress.default-wait must be positive and at most ingress.max-wait (" + maxWait + "), got " + defaultWait);
        }
    }

    public static IngressConfig defaults() {
        return new IngressConfig("0.0.0.0", 8080, 32_768, "default", "X-Skein-Tenant",
                Duration.ofSeconds(30), Duration.ofSeconds(120));
    }

    public IngressConfig withHost(String newHost) {
        return new IngressConfig(newHost, port, maxMessageBytes, defaultTenant, tenantHeader, defaultWait, maxWait);
    }

    public IngressConfig withPort(int newPort) {
        return new IngressConfig(host, newPort, maxMessageBytes, defaultTenant, tenantHeader, defaultWait, maxWait);
    }

    public IngressConfig withMaxMessageBytes(int newMax) {
        return new IngressConfig(host, port, newMax, defaultTenant, tenantHeader, defaultWait, maxWait);
    }

    public IngressConfig withWaits(Duration newDefaultWait, Duration newMaxWait) {
        return new IngressConfig(host, port, maxMessageBytes, defaultTenant, tenantHeader, newDefaultWait, newMaxWait);
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
