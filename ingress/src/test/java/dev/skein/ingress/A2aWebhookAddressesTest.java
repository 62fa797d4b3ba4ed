package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.Vertx;
import java.net.InetAddress;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The webhook SSRF guard against the address forms a hostile client writes to reach inside
 * without writing 127.0.0.1: IPv6 addresses that carry an IPv4 one (IPv4-compatible, NAT64, 6to4,
 * Teredo), IPv4 literals whose octets read differently to other parsers (leading zeros: octal to
 * libc and curl, decimal to Java), and ports no socket has. Every one is refused with invalid
 * params, before anything is resolved over the network or stored.
 */
class A2aWebhookAddressesTest {

    private static Vertx vertx;
    private static A2aWebhooks strict;

    @BeforeAll
    static void start() {
        vertx = Vertx.vertx();
        strict = new A2aWebhooks(vertx, A2aPushSettings.OFF);
    }

    @AfterAll
    static void stop() {
        vertx.close();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {
                "http://[::127.0.0.1]/hook", // IPv4-compatible (deprecated, still routed by some stacks)
                "http://[::a9fe:a9fe]/hook", // the same for 169.254.169.254
                "http://[64:ff9b::7f00:1]/hook", // NAT64 of 127.0.0.1 (DNS64 networks reach it)
                "http://[64:ff9b::a9fe:a9fe]/hook", // NAT64 of the metadata service
                "http://[64:ff9b:1::a00:1]/hook", // local-use NAT64 prefix, 10.0.0.1
                "http://[2002:7f00:1::]/hook", // 6to4 of 127.0.0.1
                "http://[2002:a9fe:a9fe::1]/hook", // 6to4 of 169.254.169.254
                "http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/hook", // Teredo: a tunnel endpoint
                "http://0177.0.0.1/hook", // octal to curl and libc (127.0.0.1); Java reads 177.0.0.1
                "http://010.0.0.1/hook",
                "http://8.8.8.08/hook",
                "http://8.8.8.8:0/hook",
                "http://8.8.8.8:99999/hook"
            })
    void addressFormsThatHideAnInternalAddressAreRefused(String url) {
        assertThatThrownBy(() -> strict.check(url))
                .isInstanceOf(A2aError.class)
                .satisfies(e -> assertThat(((A2aError) e).code()).isEqualTo(-32602));
    }

    @Test
    void publicAddressesInTheSameFormsPass() throws Exception {
        assertThat(A2aWebhooks.isInternal(InetAddress.getByName("64:ff9b::808:808")))
                .isFalse();
        assertThat(A2aWebhooks.isInternal(InetAddress.getByName("2002:808:808::1")))
                .isFalse();
        assertThat(A2aWebhooks.isInternal(InetAddress.getByName("2001:4860:4860::8888")))
                .isFalse();
        assertThat(strict.check("http://8.8.8.8:8443/hook").port()).isEqualTo(8443);
        assertThat(strict.check("https://[2001:4860:4860::8888]/hook").https()).isTrue();
    }
}
