package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.ToolDefinition;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A2A with authentication on: the card is public and declares the bearer scheme; the bindings
 * refuse a missing credential, a read-only one that sends, an agent the tenant may not use, and
 * never show one tenant's task to another.
 */
class A2aAuthTest {

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

    @Test
    void theCardIsPublicAndDeclaresTheBearerScheme() throws Exception {
        HttpResponse<String> card = node.send("GET", "/.well-known/agent-card.json", null);
        assertThat(card.statusCode()).isEqualTo(200);
        JsonObject body = new JsonObject(card.body());
        assertThat(body.getJsonObject("securitySchemes")
                        .getJsonObject("skeinBearer")
                        .getJsonObject("httpAuthSecurityScheme")
                        .getString("scheme"))
                .isEqualTo("Bearer");
        assertThat(body.getJsonArray("securityRequirements")
                        .getJsonObject(0)
                        .getJsonObject("schemes")
                        .fieldNames())
                .containsExactly("skeinBearer");
    }

    @Test
    void theBindingsAreAuthenticatedAndCheckRoles() throws Exception {
        String send = rpc(
                "SendMessage",
                "{\"message\":{\"messageId\":\"m\",\"contextId\":\"c1\",\"role\":\"ROLE_USER\","
                        + "\"parts\":[{\"text\":\"hi\"}]}}");
        assertThat(node.send("POST", "/a2a/support", send).statusCode()).isEqualTo(401);
        assertThat(node.send("GET", "/a2a/support/rest/tasks/s1~t1", null).statusCode())
                .isEqualTo(401);

        HttpResponse<String> reader =
                node.send("POST", "/a2a/support", send, "Authorization", "Bearer " + node.acmeReaderKey);
        assertThat(reader.statusCode()).isEqualTo(403);
        assertThat(new JsonObject(reader.body()).getJsonObject("error").getString("message"))
                .contains("read");

        HttpResponse<String> otherAgent =
                node.send("POST", "/a2a/demo", send, "Authorization", "Bearer " + node.acmeKey);
        assertThat(otherAgent.statusCode()).isEqualTo(403);
        assertThat(new JsonObject(otherAgent.body()).getJsonObject("error").getString("message"))
                .contains("demo");
        assertThat(node.gateway.turns).isEmpty();
    }

    @Test
    void aTaskIsReadInTheCallersTenantOnly() throws Exception {
        String get = rpc("GetTask", "{\"id\":\"s1~t1\"}");
        HttpResponse<String> own =
                node.send("POST", "/a2a/support", get, "Authorization", "Bearer " + node.acmeReaderKey);
        JsonObject task = new JsonObject(own.body()).getJsonObject("result");
        assertThat(task.getString("contextId")).isEqualTo("s1");
        assertThat(task.getJsonArray("history").getJsonObject(0).encode()).contains(AuthedIngress.ACME_SECRET);

        HttpResponse<String> other =
                node.send("POST", "/a2a/support", get, "Authorization", "Bearer " + node.globexKey);
        assertThat(other.body()).doesNotContain(AuthedIngress.ACME_SECRET);
        assertThat(new JsonObject(other.body()).getJsonObject("error").getInteger("code"))
                .isEqualTo(-32001);

        String named = rpc("GetTask", "{\"id\":\"s1~t1\",\"tenant\":\"acme\"}");
        HttpResponse<String> claimed =
                node.send("POST", "/a2a/support", named, "Authorization", "Bearer " + node.globexKey);
        assertThat(claimed.body()).doesNotContain(AuthedIngress.ACME_SECRET);
        assertThat(claimed.statusCode()).isEqualTo(403);
    }

    @Test
    void theTenantPathPrefixIsTheCredentialsOrRefused() throws Exception {
        HttpResponse<String> own = node.send(
                "GET", "/a2a/support/rest/acme/tasks/s1~t1", null, "Authorization", "Bearer " + node.acmeReaderKey);
        assertThat(own.statusCode()).isEqualTo(200);
        assertThat(own.body()).contains(AuthedIngress.ACME_SECRET);

        HttpResponse<String> claimed = node.send(
                "GET", "/a2a/support/rest/acme/tasks/s1~t1", null, "Authorization", "Bearer " + node.globexKey);
        assertThat(claimed.statusCode()).isEqualTo(403);
        assertThat(claimed.body()).doesNotContain(AuthedIngress.ACME_SECRET);
        assertThat(new JsonObject(claimed.body()).getJsonObject("error").getString("status"))
                .isEqualTo("PERMISSION_DENIED");

        HttpResponse<String> listed = node.send(
                "GET", "/a2a/support/rest/globex/tasks", null, "Authorization", "Bearer " + node.acmeReaderKey);
        assertThat(listed.statusCode()).isEqualTo(403);
        HttpResponse<String> ownList =
                node.send("GET", "/a2a/support/rest/tasks", null, "Authorization", "Bearer " + node.globexKey);
        assertThat(ownList.body()).doesNotContain(AuthedIngress.ACME_SECRET).contains("s2~t1");
    }

    @Test
    void theExtendedCardIsAuthenticatedAndShowsWhatTheTenantMayUse() throws Exception {
        node.catalog.tools = List.of(tool("calculator"), tool("shell"));
        assertThat(new JsonObject(node.send("GET", "/a2a/support/.well-known/agent-card.json", null)
                                .body())
                        .getJsonObject("capabilities")
                        .getBoolean("extendedAgentCard"))
                .isTrue();
        assertThat(node.send("GET", "/a2a/support/rest/extendedAgentCard", null).statusCode())
                .isEqualTo(401);

        HttpResponse<String> acme = node.send(
                "GET", "/a2a/support/rest/extendedAgentCard", null, "Authorization", "Bearer " + node.acmeReaderKey);
        assertThat(acme.statusCode()).isEqualTo(200);
        JsonObject card = new JsonObject(acme.body());
        assertThat(card.getJsonArray("supportedInterfaces").getJsonObject(0).getString("tenant"))
                .isEqualTo("acme");
        assertThat(skills(card)).containsExactly("support", "tool:calculator");

        JsonObject globex = new JsonObject(node.send(
                                "POST",
                                "/a2a/support",
                                rpc("GetExtendedAgentCard", "{}"),
                                "Authorization",
                                "Bearer " + node.globexKey)
                        .body())
                .getJsonObject("result");
        assertThat(skills(globex)).containsExactly("support", "demo", "tool:calculator", "tool:shell");
        HttpResponse<String> claimed = node.send(
                "GET",
                "/a2a/support/rest/globex/extendedAgentCard",
                null,
                "Authorization",
                "Bearer " + node.acmeReaderKey);
        assertThat(claimed.statusCode()).isEqualTo(403);
    }

    private static List<String> skills(JsonObject card) {
        return card.getJsonArray("skills").stream()
                .map(skill -> ((JsonObject) skill).getString("id"))
                .toList();
    }

    private static ToolDefinition tool(String name) {
        return ToolDefinition.newBuilder()
                .setName(name)
                .setDescription("the " + name + " tool")
                .setParametersSchema("{\"type\":\"object\"}")
                .setResources(ResourceSpec.newBuilder().build())
                .setRetry(RetryPolicy.newBuilder().build())
                .build();
    }

    private static String rpc(String method, String params) {
        return "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + params + "}";
    }
}
