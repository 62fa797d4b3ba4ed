package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.topologies.session.SessionRetention;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RetentionConfigTest {

    private static SessionRetention retention(Map<String, ?> keys) {
        return SkeinConfig.load(Optional.empty(), keys).sessionTopology().retention();
    }

    @Test
    void retentionIsOffByDefault() {
        SessionRetention retention = retention(Map.of());
        assertThat(retention.enabled()).isFalse();
        assertThat(retention.ttlOf("acme")).isZero();
        assertThat(retention.checkInterval()).isEqualTo(Duration.ofMinutes(1));
        assertThat(retention.maxPerCheck()).isEqualTo(1000);
    }

    @Test
    void aTenantHasItsOwnTimeToLiveAndOffKeepsItsSessions() {
        SessionRetention retention = retention(Map.of(
                "skein.session.retention.idle-ttl", "30d",
                "skein.session.retention.by-tenant.brief", "2h",
                "skein.session.retention.by-tenant.audit", "off"));
        assertThat(retention.enabled()).isTrue();
        assertThat(retention.ttlOf("acme")).isEqualTo(Duration.ofDays(30));
        assertThat(retention.ttlOf("brief")).isEqualTo(Duration.ofHours(2));
        assertThat(retention.ttlOf("audit")).isZero();
        // With the default off, one tenant's time to live still turns expiry on.
        assertThat(retention(Map.of("skein.session.retention.by-tenant.brief", "0"))
                        .enabled())
                .isFalse();
        assertThat(retention(Map.of("skein.session.retention.by-tenant.brief", "1h"))
                        .enabled())
                .isTrue();
    }

    /** The start's check wraps each bad value in "Invalid configuration: ...", naming the key. */
    @Test
    void aBadValueNamesItsKey() {
        assertThatThrownBy(() -> retention(Map.of("skein.session.retention.idle-ttl", "soon")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.session.retention.idle-ttl");
        assertThatThrownBy(() -> retention(Map.of("skein.session.retention.idle-ttl", "-1h")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("skein.session.retention.idle-ttl");
        assertThatThrownBy(() -> retention(Map.of("skein.session.retention.by-tenant", Map.of("a b", "1h"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is not a tenant");
        assertThatThrownBy(() -> retention(Map.of("skein.session.retention.max-per-check", 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max-per-check");
    }
}
