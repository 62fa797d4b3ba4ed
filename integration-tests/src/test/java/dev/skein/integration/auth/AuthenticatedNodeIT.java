package dev.skein.integration.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.app.Skein;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A real node with authentication on and keys made by {@code skein keys add}: a tenant's turn
 * completes, another tenant's key does not see it, a key revoked with {@code skein keys revoke}
 * stops working without a restart, and a turn for an agent the tenant may not use is refused.
 */
@Tag("auth")
class AuthenticatedNodeIT {

    private static SkeinNode node;
    private static Path configFile;
    private static String base;
    private static final SkeinClient http = new SkeinClient(0);

    @BeforeAll
    static void start() throws Exception {
        SkeinConfig config = TestNodes.config(
                "auth", Map.of("skein.auth.enabled", true, "skein.tenants.acme.agents", java.util.List.of("demo")));
        // The CLI finds the same cluster and topics through a configuration file.
        configFile = Files.createTempFile("skein-auth", ".conf");
        Files.writeString(
                configFile,
                "skein.topics.prefix = \"" + config.topicPrefix() + "\"\n" + "skein.kafka.bootstrap-servers = \""
                        + KafkaFixture.bootstrapServers() + "\"\n");
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS), false);
        base = "http://127.0.0.1:" + node.httpPort().orElseThrow();
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void keysFromTheCliAuthenticateIsolateTenantsAndAreRevokedWithoutARestart() throws Exception {
        String acme = addKey("acme", "user");
        String globex = addKey("globex", "user");

        SkeinClient.Response none = get("/v1/sessions/s1/history", null);
        assertThat(none.status()).isEqualTo(401);
        assertThat(none.body().path("error").asText()).contains("requires a credential");

        // The keys topic is read continuously: a key added while the node runs works at once (or nearly).
        SkeinClient.Response turn = await().atMost(Duration.ofSeconds(10))
                .until(() -> postTurn("s1", "{\"message\":\"hello from acme\"}", acme), r -> r.status() != 401);
        assertThat(turn.status()).isEqualTo(200);
        assertThat(turn.body().path("status").asText()).isEqualTo("COMPLETED");
        assertThat(turn.body().path("session").asText()).isEqualTo("acme/s1");

        SkeinClient.Response own = get("/v1/sessions/s1/history", acme);
        assertThat(own.status()).isEqualTo(200);
        assertThat(own.body().toString()).contains("hello from acme");
        SkeinClient.Response other = await().atMost(Duration.ofSeconds(10))
                .until(() -> get("/v1/sessions/s1/history", globex), r -> r.status() != 401);
        assertThat(other.status()).isEqualTo(404);
        assertThat(other.body().toString()).doesNotContain("hello from acme");

        SkeinClient.Response forbiddenAgent = postTurn("s1", "{\"message\":\"hi\",\"agent\":\"openai\"}", acme);
        assertThat(forbiddenAgent.status()).isEqualTo(403);

        assertThat(run("keys", "revoke", idOf(acme))).contains("Revoked key");
        await().atMost(Duration.ofSeconds(10))
                .until(() -> get("/v1/sessions/s1/history", acme).status() == 401);
        assertThat(get("/v1/sessions/s2/history", globex).status()).isEqualTo(404);
        assertThat(get("/health", null)
                        .body()
                        .path("components")
                        .path("api-keys")
                        .path("status")
                        .asText())
                .isEqualTo("UP");
    }

    private static String addKey(String tenant, String role) throws Exception {
        String out = run("keys", "add", "--tenant", tenant, "--role", role);
        String key = out.lines().filter(l -> l.startsWith("skein_")).findFirst().orElseThrow();
        assertThat(out).contains("for tenant " + tenant);
        return key;
    }

    private static String idOf(String key) {
        return key.split("_")[1];
    }

    /** Runs a {@code skein} command in this JVM and returns what it printed. */
    private static String run(String... args) throws Exception {
        String[] withConfig = new String[args.length + 2];
        System.arraycopy(args, 0, withConfig, 0, args.length);
        withConfig[args.length] = "--config";
        withConfig[args.length + 1] = configFile.toString();
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Skein.execute(new Skein(), withConfig);
        } finally {
            System.setOut(original);
        }
        String out = captured.toString(StandardCharsets.UTF_8);
        assertThat(exit).as("skein " + String.join(" ", args) + ": " + out).isZero();
        return out;
    }

    private static SkeinClient.Response get(String path, String key) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(URI.create(base + path)).GET();
        if (key != null) {
            request.header("Authorization", "Bearer " + key);
        }
        return http.send(request);
    }

    private static SkeinClient.Response postTurn(String session, String body, String key) {
        return http.send(HttpRequest.newBuilder(URI.create(base + "/v1/sessions/" + session + "/turns?wait=60"))
                .header("content-type", "application/json")
                .header("Authorization", "Bearer " + key)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }
}
