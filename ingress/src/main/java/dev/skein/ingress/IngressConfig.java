package dev.skein.ingress;

import dev.skein.ingress.auth.AuthConfig;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.TenantAccess;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of the HTTP/WebSocket ingress. The compact constructor validates every value and names
 * the bad key in its message. The defaults of the configurable ones are in the app's
 * {@code reference.conf} only; build with {@link #builder()}.
 *
 * @param host            interface to listen on ({@code skein.http.host})
 * @param port            TCP port ({@code skein.http.port}; 0 picks a free port)
 * @param maxMessageBytes largest user message in UTF-8 bytes ({@code skein.http.max-message-bytes})
 * @param defaultTenant   tenant of requests without the tenant header ({@code skein.http.default-tenant})
 * @param tenantHeader    header naming the tenant (not configurable: {@link #TENANT_HEADER})
 * @param defaultWait     how long {@code ?wait=true} waits for a turn ({@code skein.http.default-wait})
 * @param maxWait         cap on any requested wait ({@code skein.http.max-wait})
 * @param workerTimeout   a worker whose last heartbeat is older than this is shown as not live by
 *                        {@code GET /v1/workers} ({@code skein.session.worker-timeout})
 * @param idleTimeout     a connection with no bytes in either direction for this long is closed;
 *                        longer than {@code maxWait}, since a waiting request sends nothing
 *                        ({@code skein.http.idle-timeout})
 * @param requestHeaderTimeout a connection must send a complete request head within this time of
 *                        opening, or of its previous response, else it is closed
 *                        ({@code skein.http.request-header-timeout})
 * @param auth            how requests are authenticated ({@code skein.auth}); with it off, only a loopback
 *                        {@code host} is served unless {@link AuthConfig#allowUnauthenticated()}
 * @param tls             the PEM certificate and key to serve HTTPS with ({@code skein.http.tls}); null: HTTP
 * @param access          the agents and tools each tenant may use ({@code skein.tenants})
 * @param a2a             which agents are served over A2A 1.0 ({@code skein.a2a}); {@link A2aSettings#OFF}: none
 * @param agents          the configured agents' names, served over MCP as {@code ask_<agent>} tools
 */
public record IngressConfig(
        String host,
        int port,
        int maxMessageBytes,
        String defaultTenant,
        String tenantHeader,
        Duration defaultWait,
        Duration maxWait,
        Duration workerTimeout,
        Duration idleTimeout,
        Duration requestHeaderTimeout,
        AuthConfig auth,
        Tls tls,
        TenantAccess access,
        A2aSettings a2a,
        java.util.List<String> agents) {

    /**
     * PEM files for HTTPS.
     *
     * @param certPath the certificate chain, leaf first ({@code skein.http.tls.cert-path})
     * @param keyPath  its private key, PKCS#8 or PKCS#1 ({@code skein.http.tls.key-path})
     */
    public record Tls(Path certPath, Path keyPath) {
        public Tls {
            if (certPath == null || keyPath == null) {
                throw new IllegalArgumentException(
                        "skein.http.tls needs both cert-path and key-path (PEM files), or neither for plain HTTP");
            }
        }
    }

    /** The header that names a request's tenant. */
    public static final String TENANT_HEADER = "X-Skein-Tenant";

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
        if (idleTimeout == null || idleTimeout.compareTo(maxWait) <= 0) {
            throw new IllegalArgumentException("skein.http.idle-timeout must be longer than skein.http.max-wait ("
                    + maxWait + "), since a request that waits for its turn sends nothing meanwhile; got "
                    + idleTimeout);
        }
        if (requestHeaderTimeout == null || requestHeaderTimeout.isNegative() || requestHeaderTimeout.isZero()) {
            throw new IllegalArgumentException(
                    "skein.http.request-header-timeout must be positive, got " + requestHeaderTimeout);
        }
        if (a2a == null) {
            throw new IllegalArgumentException("ingress A2A settings must be set (A2aSettings.OFF for none)");
        }
        if (auth == null || access == null) {
            throw new IllegalArgumentException(
                    "ingress auth and tenant access must be set (AuthConfig.OFF, TenantAccess.OPEN)");
        }
        if (!auth.enabled() && !auth.allowUnauthenticated() && !isLoopback(host)) {
            throw new IllegalArgumentException("skein.http.host is " + host + ", which is not a loopback address, and"
                    + " authentication is off: anyone who reaches it could act for every tenant. Turn it on"
                    + " (skein.auth.enabled = true, with API keys or JWT), or set"
                    + " skein.auth.allow-unauthenticated = true if an unauthenticated API there is what you want");
        }
    }

    /** Whether {@code host} is a loopback address (127.0.0.0/8, ::1, or a name that resolves to one). */
    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Collects the settings; {@link #build()} fails naming the first configurable one that is
     * missing. The tenant header is {@link #TENANT_HEADER} unless set.
     */
    public static final class Builder {
        private String host;
        private Integer port;
        private Integer maxMessageBytes;
        private String defaultTenant;
        private String tenantHeader = TENANT_HEADER;
        private Duration defaultWait;
        private Duration maxWait;
        private Duration workerTimeout;
        private Duration idleTimeout;
        private Duration requestHeaderTimeout;
        private AuthConfig auth = AuthConfig.OFF;
        private Tls tls;
        private TenantAccess access = TenantAccess.OPEN;
        private A2aSettings a2a = A2aSettings.OFF;
        private java.util.List<String> agents = java.util.List.of();

        private Builder() {}

        /** Default {@link A2aSettings#OFF}: no agent is served over A2A. */
        public Builder a2a(A2aSettings a2a) {
            this.a2a = a2a;
            return this;
        }

        /** Default {@link AuthConfig#OFF}. */
        public Builder auth(AuthConfig auth) {
            this.auth = auth;
            return this;
        }

        /** Default none: plain HTTP. */
        public Builder tls(Tls tls) {
            this.tls = tls;
            return this;
        }

        /** Default {@link TenantAccess#OPEN}. */
        public Builder access(TenantAccess access) {
            this.access = access;
            return this;
        }

        /** Default none: {@code /mcp} then offers the catalog's tools only. */
        public Builder agents(java.util.List<String> names) {
            this.agents = names;
            return this;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder maxMessageBytes(int max) {
            this.maxMessageBytes = max;
            return this;
        }

        public Builder defaultTenant(String tenant) {
            this.defaultTenant = tenant;
            return this;
        }

        public Builder tenantHeader(String header) {
            this.tenantHeader = header;
            return this;
        }

        public Builder waits(Duration defaultWait, Duration maxWait) {
            this.defaultWait = defaultWait;
            this.maxWait = maxWait;
            return this;
        }

        public Builder workerTimeout(Duration timeout) {
            this.workerTimeout = timeout;
            return this;
        }

        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        public Builder requestHeaderTimeout(Duration timeout) {
            this.requestHeaderTimeout = timeout;
            return this;
        }

        /**
         * @throws IllegalStateException naming a setting that was not given
         * @throws IllegalArgumentException naming the key of a setting whose value is invalid
         */
        public IngressConfig build() {
            return new IngressConfig(
                    required("skein.http.host", host),
                    required("skein.http.port", port),
                    required("skein.http.max-message-bytes", maxMessageBytes),
                    required("skein.http.default-tenant", defaultTenant),
                    tenantHeader,
                    required("skein.http.default-wait", defaultWait),
                    required("skein.http.max-wait", maxWait),
                    required("skein.session.worker-timeout", workerTimeout),
                    required("skein.http.idle-timeout", idleTimeout),
                    required("skein.http.request-header-timeout", requestHeaderTimeout),
                    auth,
                    tls,
                    access,
                    a2a,
                    java.util.List.copyOf(agents));
        }

        private static <T> T required(String key, T value) {
            if (value == null) {
                throw new IllegalStateException("ingress setting " + key + " is required and was not given");
            }
            return value;
        }
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
