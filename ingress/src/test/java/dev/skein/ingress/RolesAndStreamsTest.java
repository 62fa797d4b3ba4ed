package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeltaKind;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.ToolDefinition;
import dev.skein.ingress.auth.ApiKeys;
import dev.skein.ingress.auth.Role;
import dev.skein.ingress.auth.TestTokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What each role may do, streams under authentication, and the agents and tools of a tenant. */
class RolesAndStreamsTest {

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
        node.events.reset();
    }

    @Test
    void aReaderReadsButNeitherPostsNorCommands() throws Exception {
        String reader = "Bearer " + node.acmeReaderKey;
        assertThat(node.send("GET", "/v1/sessions/s1/history", null, "Authorization", reader)
                        .statusCode())
                .isEqualTo(200);
        assertThat(node.send("GET", "/v1/tools", null, "Authorization", reader).statusCode())
                .isEqualTo(200);
        for (String[] write : List.of(
                new String[] {"POST", "/v1/sessions/s1/turns", "{\"message\":\"hi\"}"},
                new String[] {"DELETE", "/v1/sessions/s1/history", null},
                new String[] {"POST", "/v1/sessions/s1/turns/t1/cancel", null},
                new String[] {"POST", "/v1/sessions/s1/tool-calls/c1/approve", null},
                new String[] {"POST", "/v1/sessions/s1/tool-calls/c1/deny", null},
                new String[] {"GET", "/v1/workers", null},
                new String[] {"GET", "/metrics", null},
                new String[] {"POST", "/registry/subjects/x/versions", "{\"schema\":\"\\\"string\\\"\"}"})) {
            HttpResponse<String> response = node.send(write[0], write[1], write[2], "Authorization", reader);
            assertThat(response.statusCode()).as(write[0] + " " + write[1]).isEqualTo(403);
            JsonObject body = new JsonObject(response.body());
            assertThat(write[1].startsWith("/registry") ? body.getString("message") : body.getString("error"))
                    .startsWith("the role reader may not");
        }
        assertThat(node.gateway.turns).isEmpty();
        assertThat(node.gateway.commands).isEmpty();
    }

    @Test
    void aUserMayNotSeeThePoolsTheMetricsOrRegisterSchemas() throws Exception {
        String user = "Bearer " + node.tokens.hs256(TestTokens.claims("acme", "user"));
        assertThat(node.send("GET", "/v1/workers", null, "Authorization", user).statusCode())
                .isEqualTo(403);
        assertThat(node.send("GET", "/metrics", null, "Authorization", user).statusCode())
                .isEqualTo(403);
        HttpResponse<String> register = node.send(
                "POST", "/registry/subjects/x/versions", "{\"schema\":\"\\\"string\\\"\"}", "Authorization", user);
        assertThat(register.statusCode()).isEqualTo(403);
        assertThat(new JsonObject(register.body()).getInteger("error_code")).isEqualTo(403);
        // Reads of the registry pass authentication (this ingress serves no registry: 404).
        assertThat(node.send("GET", "/registry/subjects", null, "Authorization", user)
                        .statusCode())
                .isEqualTo(404);
    }

    @Test
    void aStreamShowsOnlyTheCallersTenantsSession() throws Exception {
        Frames acme = new Frames();
        Frames globex = new Frames();
        WebSocket acmeSocket = connect("s1", node.acmeKey, acme);
        WebSocket globexSocket = connect("s1", node.globexKey, globex);
        try {
            assertThat(acme.next().getString("session")).isEqualTo("acme/s1");
            assertThat(globex.next().getString("session")).isEqualTo("globex/s1");
            node.events.publish(delta("acme", "s1", AuthedIngress.ACME_SECRET));
            node.events.publish(delta("globex", "s1", "for globex"));
            assertThat(acme.next().getString("text")).isEqualTo(AuthedIngress.ACME_SECRET);
            assertThat(globex.next().getString("text")).isEqualTo("for globex");
            assertThat(globex.messages.poll(300, TimeUnit.MILLISECONDS)).isNull();

            globexSocket.sendText("{\"message\":\"hello\"}", true).get(5, TimeUnit.SECONDS);
            assertThat(globex.next().getString("session")).isEqualTo("globex/s1");
            assertThat(node.gateway.turns)
                    .singleElement()
                    .satisfies(t -> assertThat(t.getTenant()).isEqualTo("globex"));
        } finally {
            acmeSocket.abort();
            globexSocket.abort();
        }
    }

    @Test
    void aReadersStreamWatchesButRefusesTurns() throws Exception {
        Frames frames = new Frames();
        WebSocket socket = connect("s1", node.acmeReaderKey, frames);
        try {
            assertThat(frames.next().getString("type")).isEqualTo("subscribed");
            socket.sendText("{\"message\":\"hello\"}", true).get(5, TimeUnit.SECONDS);
            JsonObject error = frames.next();
            assertThat(error.getString("type")).isEqualTo("error");
            assertThat(error.getString("error")).contains("read-only");
            assertThat(node.gateway.turns).isEmpty();
        } finally {
            socket.abort();
        }
    }

    @Test
    void aStreamClosesWhenItsKeyIsRevoked() throws Exception {
        String key = ApiKeys.generate();
        node.put(key, "acme", Role.USER);
        Frames frames = new Frames();
        WebSocket socket = connect("s1", key, frames);
        assertThat(frames.next().getString("type")).isEqualTo("subscribed");
        node.keys.remove(ApiKeys.idOf(key));
        assertThat(frames.closed.get(5, TimeUnit.SECONDS)).isEqualTo(1008);
        assertThat(frames.closeReason).contains("revoked");
        socket.abort();
        assertThat(node.send("GET", "/v1/sessions/s1/history", null, "Authorization", "Bearer " + key)
                        .statusCode())
                .isEqualTo(401);
    }

    @Test
    void anSseStreamEndsWithAReasonWhenItsKeyIsRevoked() throws Exception {
        String key = ApiKeys.generate();
        node.put(key, "acme", Role.USER);
        HttpResponse<java.io.InputStream> stream = java.net.http.HttpClient.newHttpClient()
                .send(
                        java.net.http.HttpRequest.newBuilder(
                                        java.net.URI.create("http://127.0.0.1:" + node.port + "/v1/sessions/s1/events"))
                                .header("Authorization", "Bearer " + key)
                                .build(),
                        HttpResponse.BodyHandlers.ofInputStream());
        assertThat(stream.statusCode()).isEqualTo(200);
        node.keys.remove(ApiKeys.idOf(key));
        String body = new String(stream.body().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(body).contains("event: error").contains("the credential expired or was revoked");
    }

    @Test
    void aStreamClosesWhenItsTokenExpires() throws Exception {
        long exp = System.currentTimeMillis() / 1000 + 2;
        String token = node.tokens.es256(TestTokens.claims("acme", "user").put("exp", exp));
        Frames frames = new Frames();
        WebSocket socket = connect("s1", token, frames);
        assertThat(frames.next().getString("type")).isEqualTo("subscribed");
        assertThat(frames.closed.get(6, TimeUnit.SECONDS)).isEqualTo(1008);
        socket.abort();
    }

    @Test
    void aTurnNamingAnAgentTheTenantMayNotUseIsForbidden() throws Exception {
        String acme = "Bearer " + node.acmeKey;
        HttpResponse<String> refused = node.send(
                "POST", "/v1/sessions/s1/turns", "{\"message\":\"hi\",\"agent\":\"admin-bot\"}", "Authorization", acme);
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(new JsonObject(refused.body()).getString("error"))
                .isEqualTo("agent 'admin-bot' is not available to this tenant; it may use support");
        HttpResponse<String> allowed = node.send(
                "POST", "/v1/sessions/s1/turns", "{\"message\":\"hi\",\"agent\":\"support\"}", "Authorization", acme);
        assertThat(allowed.statusCode()).isEqualTo(202);
        // globex has no rules: every agent.
        assertThat(node.send(
                                "POST",
                                "/v1/sessions/s1/turns",
                                "{\"message\":\"hi\",\"agent\":\"admin-bot\"}",
                                "Authorization",
                                "Bearer " + node.globexKey)
                        .statusCode())
                .isEqualTo(202);

        Frames frames = new Frames();
        WebSocket socket = connect("s1", node.acmeKey, frames);
        try {
            frames.next();
            socket.sendText("{\"message\":\"hi\",\"agent\":\"admin-bot\"}", true)
                    .get(5, TimeUnit.SECONDS);
            assertThat(frames.next().getString("error")).contains("'admin-bot' is not available");
        } finally {
            socket.abort();
        }
        assertThat(node.gateway.turns).extracting(t -> t.getAgent()).containsExactly("support", "admin-bot");
    }

    @Test
    void theToolListShowsWhatTheTenantMayUse() throws Exception {
        node.catalog.tools = List.of(tool("calculator"), tool("deploy"));
        JsonArray acme = new JsonObject(node.send("GET", "/v1/tools", null, "Authorization", "Bearer " + node.acmeKey)
                        .body())
                .getJsonArray("tools");
        assertThat(acme.stream().map(t -> ((JsonObject) t).getString("name"))).containsExactly("calculator");
        JsonArray globex = new JsonObject(
                        node.send("GET", "/v1/tools", null, "Authorization", "Bearer " + node.globexKey)
                                .body())
                .getJsonArray("tools");
        assertThat(globex).hasSize(2);
    }

    private static WebSocket connect(String session, String credential, Frames frames) throws Exception {
        return node.http
                .newWebSocketBuilder()
                .header("Authorization", "Bearer " + credential)
                .buildAsync(URI.create("ws://127.0.0.1:" + node.port + "/v1/sessions/" + session + "/stream"), frames)
                .get(5, TimeUnit.SECONDS);
    }

    private static AgentDelta delta(String tenant, String session, String text) {
        return AgentDelta.newBuilder()
                .setTenant(tenant)
                .setSessionId(session)
                .setTurnId("t1")
                .setStep(0)
                .setKind(DeltaKind.TEXT)
                .setText(text)
                .setTimestampMs(1_000)
                .build();
    }

    private static ToolDefinition tool(String name) {
        return ToolDefinition.newBuilder()
                .setName(name)
                .setDescription("the " + name + " tool")
                .setVersion(1)
                .setParametersSchema("{\"type\":\"object\"}")
                .setResources(ResourceSpec.newBuilder()
                        .setCpus(1)
                        .setGpus(0)
                        .setMemoryBytes(1 << 20)
                        .build())
                .setTimeoutMs(1_000)
                .setRetry(RetryPolicy.newBuilder()
                        .setMaxAttempts(1)
                        .setInitialBackoffMs(100)
                        .setMultiplier(2.0)
                        .setMaxBackoffMs(100)
                        .setRetryOn(List.of())
                        .build())
                .setCacheable(false)
                .setRequiresApproval(false)
                .setPublisher("worker-1")
                .build();
    }

    /** Whole text messages and the close code. */
    private static final class Frames implements WebSocket.Listener {
        final BlockingQueue<String> messages = new LinkedBlockingQueue<>();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        volatile String closeReason;
        private final StringBuilder partial = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                messages.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closeReason = reason;
            closed.complete(statusCode);
            return null;
        }

        JsonObject next() throws InterruptedException {
            String message = messages.poll(5, TimeUnit.SECONDS);
            assertThat(message).as("a frame within 5 s").isNotNull();
            return new JsonObject(message);
        }
    }
}
