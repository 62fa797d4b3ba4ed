package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * MCP Streamable HTTP (2025-06-18): "if the server receives a request with an invalid or
 * unsupported MCP-Protocol-Version, it MUST respond with 400 Bad Request": a value that is no
 * version, or older than the oldest served. A request without the header is taken as 2025-03-26
 * (what the specification says to assume); a newer version than the server's is served (see
 * {@link McpEndpoint#checkProtocolVersion} for why).
 */
class McpProtocolVersionTest {

    private static SkeinIngress ingress;
    private static int port;
    private static final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        ingress = SkeinIngress.builder(
                        TestIngressConfig.builder().build(),
                        new RecordingGateway(),
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .history(new FakeHistory())
                .build();
        port = ingress.start();
    }

    @AfterAll
    static void stop() {
        ingress.close();
    }

    @ParameterizedTest
    @CsvSource({
        "POST,1999-01-01",
        "POST,2024-11-04",
        "POST,latest",
        "POST,'2025-06-18, 2025-03-26'",
        "POST,2025-6-18",
        "GET,1999-01-01",
        "GET,'<script>'",
        "DELETE,1.0"
    })
    void anUnsupportedProtocolVersionIsABadRequest(String method, String version) throws Exception {
        HttpResponse<String> response = send(method, version);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body()).contains("MCP-Protocol-Version").contains("2024-11-05");
        new JsonObject(response.body()); // a JSON body
    }

    @Test
    void anInitializeIsServedWhateverVersionItsHeaderNames() throws Exception {
        // Clients send their newest version on initialize; the body negotiates one this server speaks.
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp"))
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .header("MCP-Protocol-Version", "2025-11-25")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\","
                        + "\"params\":{\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                        + "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}"))
                .build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(new JsonObject(response.body()).getJsonObject("result").getString("protocolVersion"))
                .isEqualTo("2025-06-18");
    }

    @Test
    void supportedVersionsAndNoHeaderAreServed() throws Exception {
        // A newer version than this server's is served as its newest: the MCP Java SDK sends its own
        // newest (2025-11-25) outside the negotiated session.
        for (String version : new String[] {"2025-06-18", "2025-03-26", "2024-11-05", "2025-11-25", null}) {
            HttpResponse<String> response = send("POST", version);
            assertThat(response.statusCode())
                    .as(version + ": " + response.body())
                    .isEqualTo(200);
            assertThat(new JsonObject(response.body()).getJsonObject("result")).isNotNull();
        }
    }

    private static HttpResponse<String> send(String method, String version) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/mcp"))
                .timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json")
                .header("accept", method.equals("GET") ? "text/event-stream" : "application/json, text/event-stream")
                .method(
                        method,
                        method.equals("POST")
                                ? HttpRequest.BodyPublishers.ofString(
                                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}")
                                : HttpRequest.BodyPublishers.noBody());
        if (version != null) {
            request.header("MCP-Protocol-Version", version);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }
}
