package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.ToolDefinition;
import dev.skein.ingress.TestDoubles.FakeCatalog;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code GET /mcp}: the SSE stream of MCP list changes, against an in-memory catalog. */
class McpNotificationsTest {

    private static final FakeCatalog catalog = new FakeCatalog();
    private static SkeinIngress ingress;
    private static HttpClient http;

    @BeforeAll
    static void start() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder().build(),
                        new RecordingGateway(),
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of()))
                .history(new FakeHistory())
                .catalog(catalog)
                .build();
        ingress.start();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void stop() {
        http.close();
        ingress.close();
    }

    private static HttpRequest.Builder get() {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ingress.port() + "/mcp"))
                .timeout(Duration.ofSeconds(10));
    }

    @Test
    void withoutAcceptingAnEventStreamTheAnswerIs406() throws Exception {
        HttpResponse<String> plain =
                http.send(get().header("Accept", "application/json").build(), HttpResponse.BodyHandlers.ofString());
        assertThat(plain.statusCode()).isEqualTo(406);
        assertThat(plain.body()).contains("\"error\"").contains("text/event-stream");
        HttpResponse<String> none = http.send(get().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(none.statusCode()).isEqualTo(406);
    }

    @Test
    void aCatalogChangeIsAToolsListChangedNotificationOnTheStream() throws Exception {
        HttpResponse<Stream<String>> stream =
                http.send(get().header("Accept", "text/event-stream").build(), HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.statusCode()).isEqualTo(200);
        assertThat(stream.headers().firstValue("Content-Type")).hasValue("text/event-stream");
        try (Stream<String> lines = stream.body()) {
            Iterator<String> it = lines.iterator();
            assertThat(it.next()).isEqualTo(": heartbeat");
            catalog.tools = List.of(tool("render"));
            // The catalog is compared once a second: the notification comes within a few.
            String data = CompletableFuture.supplyAsync(() -> {
                        while (it.hasNext()) {
                            String line = it.next();
                            if (line.startsWith("data: ")) {
                                return line;
                            }
                        }
                        return "the stream ended";
                    })
                    .get(10, TimeUnit.SECONDS);
            assertThat(data).isEqualTo("data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}");
        }
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
                        .setMemoryBytes(1024)
                        .setCustom(Map.of())
                        .build())
                .setTimeoutMs(60_000)
                .setRetry(RetryPolicy.newBuilder()
                        .setMaxAttempts(1)
                        .setInitialBackoffMs(100)
                        .setMultiplier(2.0)
                        .setMaxBackoffMs(1_000)
                        .setRetryOn(List.of())
                        .build())
                .setCacheable(false)
                .setRequiresApproval(false)
                .setCacheTtlMs(0)
                .setPublisher("worker-1")
                .build();
    }
}
