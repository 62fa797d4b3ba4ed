package dev.skein.integration.memory;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import dev.skein.memory.MemoryQuery;
import dev.skein.memory.MemoryStore;
import dev.skein.memory.MiniLmEmbedder;
import dev.skein.schemas.kafka.EventProducer;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Long-term memory on a whole node over a real broker, through the demo agent's "use tool": a fact
 * remembered in one session is recalled in another session of the same user, not by another user
 * or tenant; a fresh instance's index, rebuilt from the topic, answers the same; an erasure
 * request removes it from the topic and from every index.
 */
@Tag("memory")
class LongTermMemoryIT {

    private static final String FACT = "Alice's favourite colour is green";
    private static SkeinNode node;
    private static SkeinClient client;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        SkeinConfig config = TestNodes.config("memory", Map.of());
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false);
        base = "http://127.0.0.1:" + node.httpPort().orElseThrow();
        client = new SkeinClient(node.httpPort().orElseThrow());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aMemoryOutlivesItsSessionForItsUserOnlyAndIsErased() throws Exception {
        String remembered = useTool("acme", "s1", "alice", "remember", "{\"text\":\"" + FACT + "\"}");
        assertThat(remembered).contains("remembered");

        // Another session of the same user recalls it; another user, or the same user name in another
        // tenant, does not.
        assertThat(recall("acme", "s2", "alice")).contains(FACT);
        assertThat(recall("acme", "s3", "bob")).doesNotContain("green");
        assertThat(recall("globex", "s4", "alice")).doesNotContain("green");
        assertThat(recall("acme", "s5", null)).doesNotContain("green");

        JsonNode listed = get("acme", "/v1/memory?user=alice").body().path("memories");
        assertThat(listed).hasSize(1);
        assertThat(listed.get(0).path("text").asText()).isEqualTo(FACT);
        assertThat(listed.get(0).path("sourceSession").asText()).isEqualTo("s1");
        assertThat(get("globex", "/v1/memory").body().path("memories")).isEmpty();

        // A fresh instance rebuilds its index from the topic alone and answers the same recall.
        assertThat(freshRecall("acme", "alice")).containsExactly(FACT);
        assertThat(freshRecall("acme", "bob")).isEmpty();

        SkeinClient.Response erased =
                client.send(request("acme", "/v1/memory?user=alice").DELETE());
        assertThat(erased.status()).isEqualTo(200);
        assertThat(erased.body().path("deleted").asInt()).isEqualTo(1);

        assertThat(recall("acme", "s6", "alice")).doesNotContain("green");
        assertThat(get("acme", "/v1/memory?user=alice").body().path("memories")).isEmpty();
        assertThat(freshRecall("acme", "alice")).isEmpty();
    }

    @Test
    void badRequestsGetJsonErrors() {
        SkeinClient.Response badKind = get("acme", "/v1/memory?kind=dream");
        assertThat(badKind.status()).isEqualTo(400);
        assertThat(badKind.body().path("error").asText()).contains("fact, entity, episode");
        assertThat(get("acme", "/v1/memory?limit=0").status()).isEqualTo(400);
        assertThat(get("acme", "/v1/memory?user=a/b").status()).isEqualTo(400);
        assertThat(client.send(request("acme", "/v1/memory").DELETE()).status()).isEqualTo(400);
        SkeinClient.Response missing =
                client.send(request("acme", "/v1/memory/nope?user=alice").DELETE());
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body().path("error").asText()).contains("nope");
        // A q the embedder finds no words in (invalid UTF-8, a zero-width space, control characters)
        // is the caller's mistake, not an outage; so is a tenant that cannot exist.
        for (String q : List.of("%FF%FE", "%E2%80%8B", "%01%02", "%CC%81")) {
            SkeinClient.Response noWords = get("acme", "/v1/memory?q=" + q);
            assertThat(noWords.status()).as(q).isEqualTo(400);
            assertThat(noWords.body().path("error").asText()).contains("no words to search by");
        }
        assertThat(get("a/b", "/v1/memory").status()).isEqualTo(400);
        assertThat(client.send(request("a/b", "/v1/memory?user=x").DELETE()).status())
                .isEqualTo(400);
    }

    private static String recall(String tenant, String session, String user) {
        return useTool(tenant, session, user, "recall", "{\"query\":\"which colour does she like best\"}");
    }

    /** The demo agent calls the tool and answers with its output. */
    private static String useTool(String tenant, String session, String user, String tool, String arguments) {
        var body = SkeinClient.JSON.createObjectNode().put("message", "use tool " + tool + " " + arguments);
        if (user != null) {
            body.put("user", user);
        }
        SkeinClient.Response response = client.send(request(tenant, "/v1/sessions/" + session + "/turns?wait=60")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())));
        assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
        assertThat(response.body().path("status").asText())
                .as(response.body().toString())
                .isEqualTo("COMPLETED");
        return response.body().path("answer").asText();
    }

    private static List<String> freshRecall(String tenant, String user) throws Exception {
        try (EventProducer producer = new EventProducer(Map.of("bootstrap.servers", node.bootstrapServers()), "it");
                MemoryStore fresh = new MemoryStore(
                        Map.of("bootstrap.servers", node.bootstrapServers()),
                        node.topics(),
                        producer,
                        new MiniLmEmbedder(),
                        Duration.ofSeconds(10))) {
            fresh.ready().get(60, TimeUnit.SECONDS);
            return fresh.search(MemoryQuery.recall(tenant, user, "which colour does she like best", 5)).stream()
                    .map(r -> r.getText())
                    .toList();
        }
    }

    private static SkeinClient.Response get(String tenant, String path) {
        return client.send(request(tenant, path).GET());
    }

    private static HttpRequest.Builder request(String tenant, String path) {
        return HttpRequest.newBuilder(URI.create(base + path)).header("X-Skein-Tenant", tenant);
    }
}
