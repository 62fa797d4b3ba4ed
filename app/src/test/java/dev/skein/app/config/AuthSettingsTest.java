package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.ingress.auth.ApiKeys;
import dev.skein.ingress.auth.AuthConfig;
import dev.skein.ingress.auth.Role;
import dev.skein.schemas.TenantAccess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code skein.auth}, {@code skein.http.tls} and {@code skein.tenants} as the configuration gives them. */
class AuthSettingsTest {

    @TempDir
    Path dir;

    @Test
    void authenticationIsOffByDefaultAndTenantsMayUseEverything() {
        SkeinConfig defaults = SkeinConfig.load(Optional.empty(), Map.of(), Map.of());
        assertThat(defaults.auth().enabled()).isFalse();
        assertThat(defaults.auth().allowUnauthenticated()).isFalse();
        assertThat(defaults.auth().keysTopic()).isTrue();
        assertThat(defaults.auth().jwt()).isNull();
        assertThat(defaults.httpTls()).isNull();
        assertThat(defaults.tenantAccess().allowsAgent("anyone", "any")).isTrue();
        assertThat(defaults.sessionTopology().access()).isEqualTo(defaults.tenantAccess());
    }

    @Test
    void keysJwtTlsAndTenantsAreRead() throws Exception {
        String key = ApiKeys.generate();
        Path file = dir.resolve("skein.conf");
        Files.writeString(file, """
                skein.auth {
                  enabled = true
                  api-keys = [ { id = %s, sha256 = %s, tenant = acme, roles = [user, reader], description = "ci" } ]
                  jwt { enabled = true, issuer = "https://idp", audiences = [skein], jwks-url = "https://idp/jwks" }
                }
                skein.http.tls { cert-path = /etc/skein/cert.pem, key-path = /etc/skein/key.pem }
                skein.tenants {
                  acme { agents = [support], tools = [calculator, noop] }
                  "*" { tools = [calculator] }
                }
                """.formatted(ApiKeys.idOf(key), ApiKeys.sha256(key)));
        SkeinConfig config = SkeinConfig.load(Optional.of(file), Map.of(), Map.of());

        AuthConfig auth = config.auth();
        assertThat(auth.enabled()).isTrue();
        assertThat(auth.keys()).singleElement().satisfies(stored -> {
            assertThat(stored.tenant()).isEqualTo("acme");
            assertThat(stored.roles()).containsExactlyInAnyOrder(Role.USER, Role.READER);
            assertThat(ApiKeys.matches(key, stored.sha256())).isTrue();
        });
        assertThat(auth.jwt().audiences()).containsExactly("skein");
        assertThat(auth.jwt().jwksUrl()).hasToString("https://idp/jwks");
        assertThat(auth.jwt().jwksRefresh()).isEqualTo(Duration.ofMinutes(10));
        assertThat(config.httpTls().certPath()).isEqualTo(Path.of("/etc/skein/cert.pem"));
        TenantAccess access = config.tenantAccess();
        assertThat(access.allowsAgent("acme", "support")).isTrue();
        assertThat(access.allowsAgent("acme", "demo")).isFalse();
        assertThat(access.allowsTool("acme", "noop")).isTrue();
        assertThat(access.allowsTool("globex", "noop")).isFalse();
        assertThat(access.allowsAgent("globex", "demo")).isTrue();
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> load("SKEIN_AUTH_ENABLED", "true", "SKEIN_AUTH_API_KEYS_TOPIC", "false"))
                .hasMessageContaining("skein.auth")
                .hasMessageContaining("no credential could ever pass");
        assertThatThrownBy(() -> load("SKEIN_AUTH_API_KEYS", "[{id = abc, sha256 = x, roles = [user]}]"))
                .hasMessageContaining("skein.auth.api-keys[0]");
        assertThatThrownBy(() -> load(
                        "SKEIN_AUTH_JWT_ENABLED",
                        "true",
                        "SKEIN_AUTH_JWT_ISSUER",
                        "i",
                        "SKEIN_AUTH_JWT_AUDIENCES",
                        "[a]"))
                .hasMessageContaining("needs keys");
        assertThatThrownBy(() -> load("SKEIN_HTTP_TLS_CERT_PATH", "/c.pem"))
                .hasMessageContaining("skein.http.tls")
                .hasMessageContaining("both");
        assertThatThrownBy(() -> load("SKEIN_TENANTS", "{ acme { tool = [x] } }"))
                .hasMessageContaining("skein.tenants.acme.tool");
        assertThatThrownBy(() -> load("SKEIN_TENANTS", "{ acme { tools = [Not-A-Tool] } }"))
                .hasMessageContaining("skein.tenants.acme.tools");
        assertThatThrownBy(() -> load("SKEIN_TENANTS", "{ \"a/b\" { tools = [x] } }"))
                .hasMessageContaining("is not a tenant");
    }

    private static SkeinConfig load(String... environment) {
        Map<String, String> env = new java.util.HashMap<>();
        for (int i = 0; i < environment.length; i += 2) {
            env.put(environment[i], environment[i + 1]);
        }
        return SkeinConfig.load(Optional.empty(), Map.of(), env);
    }

    @Test
    void theHs256SecretIsNeverInAMessage() {
        String secret = "short-secret";
        assertThatThrownBy(() -> load(
                        "SKEIN_AUTH_JWT_ENABLED",
                        "true",
                        "SKEIN_AUTH_JWT_ISSUER",
                        "i",
                        "SKEIN_AUTH_JWT_AUDIENCES",
                        "[a]",
                        "SKEIN_AUTH_JWT_HS256_SECRET",
                        secret))
                .hasMessageContaining("at least 32 bytes")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain(secret));
    }
}
