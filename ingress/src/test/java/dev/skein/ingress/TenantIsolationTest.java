package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.ingress.auth.ApiKeys;
import dev.skein.ingress.auth.TestTokens;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The isolation matrix: every route and method, with no credential, bad credentials, and the
 * credentials of another tenant. Decided: a request without a valid credential gets 401 with a JSON
 * body and {@code WWW-Authenticate}; another tenant's session is, for the caller, a session of its
 * own tenant that does not exist (404 on reads; writes land in the caller's own namespace); naming
 * another tenant in the tenant header gets 403. Nothing of the other tenant appears in any body.
 */
class TenantIsolationTest {

    @TempDir
    static Path dir;

    private static AuthedIngress node;

    @BeforeAll
    static void start() throws Exception {
        node = new AuthedIngress(dir);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @BeforeEach
    void reset() {
        node.gateway.reset();
    }

    /** Every route behind authentication, as method, path and body. */
    static List<String[]> routes(String session) {
        String base = "/v1/sessions/" + session;
        return List.of(
                new String[] {"POST", base + "/turns", "{\"message\":\"hi\"}"},
                new String[] {"POST", base + "/turns?wait=1", "{\"message\":\"hi\"}"},
                new String[] {"GET", base + "/history", null},
                new String[] {"GET", base + "/events", null},
                new String[] {"GET", base + "/turns/t1/events?after=0-1", null},
                new String[] {"GET", base + "/turns/t1/trace", null},
                new String[] {"GET", "/v1/sessions", null},
                new String[] {"GET", "/v1/sessions?status=idle&limit=5", null},
                new String[] {"DELETE", base + "/history", null},
                new String[] {"POST", base + "/turns/t1/cancel", null},
                new String[] {"POST", base + "/tool-calls/c1/approve", null},
                new String[] {"POST", base + "/tool-calls/c1/deny", "{\"reason\":\"no\"}"},
                new String[] {"GET", "/v1/tools", null},
                new String[] {"GET", "/v1/workers", null},
                new String[] {"GET", "/v1/no-such-route", null},
                new String[] {"PUT", base + "/history", null},
                new String[] {"GET", "/metrics", null},
                new String[] {"GET", "/registry/subjects", null},
                new String[] {"POST", "/registry/subjects/x/versions", "{\"schema\":\"\\\"string\\\"\"}"});
    }

    /** No credential, and every way a credential can be wrong. */
    static Stream<Arguments> badCredentials() {
        TestTokens tokens = node.tokens;
        JsonObject expired = TestTokens.claims("acme", "user").put("exp", System.currentTimeMillis() / 1000 - 5);
        JsonObject otherAudience = TestTokens.claims("acme", "user").put("aud", "billing");
        JsonObject otherIssuer = TestTokens.claims("acme", "user").put("iss", "https://elsewhere.test");
        return Stream.of(
                Arguments.of("no credential", null),
                Arguments.of("an unknown API key", "Bearer " + ApiKeys.generate()),
                Arguments.of(
                        "a known key id with a wrong secret",
                        "Bearer " + node.acmeKey.substring(0, 19) + "0".repeat(64)),
                Arguments.of("a malformed key", "Bearer skein_nope"),
                Arguments.of("garbage", "Bearer %%%"),
                Arguments.of("an empty bearer", "Bearer "),
                Arguments.of("another scheme", "Digest username=acme"),
                Arguments.of("an expired token", "Bearer " + tokens.rs256(expired)),
                Arguments.of("a token for another audience", "Bearer " + tokens.es256(otherAudience)),
                Arguments.of("a token from another issuer", "Bearer " + tokens.hs256(otherIssuer)),
                Arguments.of(
                        "a token signed by an unknown key",
                        "Bearer " + tokens.rs256ByStranger(TestTokens.claims("acme", "operator"))),
                Arguments.of(
                        "a token whose claims were changed",
                        "Bearer "
                                + TestTokens.tampered(
                                        tokens.es256(TestTokens.claims("acme", "user")),
                                        TestTokens.claims("acme", "operator"))),
                Arguments.of(
                        "an unsigned token (alg none)",
                        "Bearer " + TestTokens.unsigned(TestTokens.claims("acme", "operator"), true)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badCredentials")
    void everyRouteAnswers401WithJsonAndAChallenge(String what, String authorization) throws Exception {
        List<String> failures = new ArrayList<>();
        for (String[] route : routes("s1")) {
            HttpResponse<String> response = authorization == null
                    ? node.send(route[0], route[1], route[2])
                    : node.send(route[0], route[1], route[2], "Authorization", authorization);
            JsonObject body = new JsonObject(response.body());
            String message = route[1].startsWith("/registry") ? body.getString("message") : body.getString("error");
            if (response.statusCode() != 401
                    || !response.headers()
                            .firstValue("www-authenticate")
                            .orElse("")
                            .startsWith("Bearer realm=\"skein\"")
                    || message == null
                    || response.body().contains(AuthedIngress.ACME_SECRET)) {
                failures.add(route[0] + " " + route[1] + " -> " + response.statusCode() + " " + response.body());
            }
        }
        RawHttp.Response upgrade = authorization == null
                ? node.upgrade("/v1/sessions/s1/stream")
                : node.upgrade("/v1/sessions/s1/stream", "Authorization", authorization);
        if (upgrade.status() != 401 || !upgrade.hasJsonError()) {
            failures.add("WebSocket upgrade -> " + upgrade);
        }
        assertThat(failures).as(what).isEmpty();
        assertThat(node.gateway.turns).isEmpty();
        assertThat(node.gateway.commands).isEmpty();
    }

    @Test
    void aCredentialInTheQueryCountsOnlyOnAWebSocketUpgrade() throws Exception {
        HttpResponse<String> read = node.send("GET", "/v1/sessions/s1/history?access_token=" + node.acmeKey, null);
        assertThat(read.statusCode()).isEqualTo(401);
        RawHttp.Response upgrade = node.upgrade("/v1/sessions/s1/stream?access_token=" + node.acmeKey);
        assertThat(upgrade.status()).isEqualTo(101);
    }

    @Test
    void healthNeedsNoCredential() throws Exception {
        assertThat(node.send("GET", "/health", null).statusCode()).isEqualTo(200);
    }

    /** The credentials of globex, the other tenant: a key and a token. */
    static Stream<Arguments> globex() {
        return Stream.of(
                Arguments.of("globex's API key", "Bearer " + node.globexKey),
                Arguments.of("globex's token", "Bearer " + node.tokens.rs256(TestTokens.claims("globex", "user"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("globex")
    void anotherTenantsSessionDoesNotExistForTheCaller(String what, String authorization) throws Exception {
        HttpResponse<String> read = node.send("GET", "/v1/sessions/s1/history", null, "Authorization", authorization);
        assertThat(read.statusCode()).isEqualTo(404);
        assertThat(read.body()).doesNotContain(AuthedIngress.ACME_SECRET).doesNotContain("acme");
        assertThat(new JsonObject(read.body()).getString("error")).isEqualTo("session globex/s1 not found");
        HttpResponse<String> listed = node.send("GET", "/v1/sessions", null, "Authorization", authorization);
        assertThat(listed.statusCode()).isEqualTo(200);
        assertThat(listed.body()).contains("\"s2\"").doesNotContain("\"s1\"").doesNotContain(AuthedIngress.ACME_SECRET);

        // Writes to the same id land in the caller's own namespace, never in acme's.
        for (String[] route : routes("s1")) {
            if (route[1].startsWith("/v1/sessions") && !route[0].equals("GET") && !route[0].equals("PUT")) {
                HttpResponse<String> response =
                        node.send(route[0], route[1].replace("?wait=1", ""), route[2], "Authorization", authorization);
                assertThat(response.statusCode()).as(route[0] + " " + route[1]).isEqualTo(202);
                assertThat(response.body()).contains("globex/s1").doesNotContain("acme");
            }
        }
        assertThat(node.gateway.turns)
                .isNotEmpty()
                .allSatisfy(t -> assertThat(t.getTenant()).isEqualTo("globex"));
        assertThat(node.gateway.commands)
                .hasSize(4)
                .allSatisfy(c -> assertThat(c.getTenant()).isEqualTo("globex"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("globex")
    void namingAnotherTenantInTheHeaderIsForbiddenOnEveryRoute(String what, String authorization) throws Exception {
        List<String> failures = new ArrayList<>();
        for (String[] route : routes("s1")) {
            HttpResponse<String> response =
                    node.send(route[0], route[1], route[2], "Authorization", authorization, "X-Skein-Tenant", "acme");
            if (!route[1].startsWith("/v1/")) {
                continue; // the header names a session's tenant: it means nothing to /metrics or /registry
            }
            if (response.statusCode() != 403
                    || !new JsonObject(response.body()).getString("error").contains("its own tenant only")
                    || response.body().contains(AuthedIngress.ACME_SECRET)) {
                failures.add(route[0] + " " + route[1] + " -> " + response.statusCode() + " " + response.body());
            }
        }
        RawHttp.Response upgrade =
                node.upgrade("/v1/sessions/s1/stream", "Authorization", authorization, "X-Skein-Tenant", "acme");
        if (upgrade.status() != 403 || !upgrade.hasJsonError()) {
            failures.add("WebSocket upgrade -> " + upgrade);
        }
        assertThat(failures).isEmpty();
        assertThat(node.gateway.turns).isEmpty();
        assertThat(node.gateway.commands).isEmpty();
    }

    @Test
    void theOwnTenantReadsItsOwnAndNamingItselfInTheHeaderIsFine() throws Exception {
        HttpResponse<String> own = node.send(
                "GET",
                "/v1/sessions/s1/history",
                null,
                "Authorization",
                "Bearer " + node.acmeKey,
                "X-Skein-Tenant",
                "acme");
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(own.body()).contains(AuthedIngress.ACME_SECRET).doesNotContain(AuthedIngress.GLOBEX_SECRET);
        HttpResponse<String> other =
                node.send("GET", "/v1/sessions/s2/history", null, "Authorization", "Bearer " + node.acmeKey);
        assertThat(other.statusCode()).isEqualTo(404);
        assertThat(other.body()).doesNotContain(AuthedIngress.GLOBEX_SECRET).doesNotContain("globex");
    }

    @Test
    void anOperatorMayActForAnyTenantByTheHeader() throws Exception {
        String operator = "Bearer " + node.operatorKey;
        HttpResponse<String> acme =
                node.send("GET", "/v1/sessions/s1/history", null, "Authorization", operator, "X-Skein-Tenant", "acme");
        assertThat(acme.statusCode()).isEqualTo(200);
        assertThat(acme.body()).contains(AuthedIngress.ACME_SECRET);
        HttpResponse<String> globex = node.send(
                "GET", "/v1/sessions/s2/history", null, "Authorization", operator, "X-Skein-Tenant", "globex");
        assertThat(globex.body()).contains(AuthedIngress.GLOBEX_SECRET);
        String token = "Bearer " + node.tokens.es256(TestTokens.claims(null, "operator"));
        assertThat(node.send("GET", "/v1/workers", null, "Authorization", token).statusCode())
                .isEqualTo(200);
        assertThat(node.send("GET", "/metrics", null, "Authorization", operator).statusCode())
                .isEqualTo(200);
    }
}
