package dev.skein.ingress;

import java.time.Duration;

/**
 * Ingress settings for tests: loopback, a free port, and the values the product ships with. These
 * are test values; the product's defaults are in the app's {@code reference.conf}, the one place
 * they are written (the app's {@code SkeinConfigTest} checks what it reads from there).
 */
final class TestIngressConfig {

    private TestIngressConfig() {}

    static IngressConfig.Builder builder() {
        return IngressConfig.builder()
                .host("127.0.0.1")
                .port(0)
                .maxMessageBytes(32_768)
                .defaultTenant("default")
                .waits(Duration.ofSeconds(30), Duration.ofSeconds(120))
                .workerTimeout(Duration.ofSeconds(15))
                .idleTimeout(Duration.ofSeconds(150))
                .requestHeaderTimeout(Duration.ofSeconds(10));
    }
}
