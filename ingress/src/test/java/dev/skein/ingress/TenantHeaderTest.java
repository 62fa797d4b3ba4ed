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
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The tenant header is checked once, for every /v1 route and /mcp, before any handler reads the
 * tenant: an invalid name (a '/', which would split the memories topic's {@code <tenant>/<user>/<id>}
 * keys, '*', spaces, past 128 characters) gets a 400 naming it, whether it is the anonymous
 * caller's tenant (authentication off) or the one an operator acts for. Before, only the session
 * routes checked it: /v1/memory answered 503 for {@code a/b} and 200 for 129 characters, and
 * /v1/tools and /v1/workers read a catalog for a tenant that cannot exist.
 */
class TenantHeaderTest {

    @TempDir
    static Path dir;

    private static SkeinIngress open;
    private static int openPort;
    private static AuthedIngress authed;
    private static final HttpClient http = HttpClient.newHttpClient();

    static final List<String> BAD = List.of("a/b", "*", "..%2Fx", "acme corp", "x".repeat(129), "a%00", "\u00e9");

    static final List<String[]> ROUTES = List.of(
            new String[] {"GET", "/v1/memory"},
            new String[] {"GET", "/v1/memory?user=alice&q=colour"},
            new String[] {"DELETE", "/v1/memory?user=alice"},
            new String[] {"DELETE", "/v1/memory/m1"},
            new String[] {"GET", "/v1/tools"},
            new String[] {"GET", "/v1/workers"},
            new String[] {"GET", "/v1/sessions"},
            new String[] {"GET", "/v1/sessions/s1/history"},
            new String[] {"POST", "/v1/sessions/s1/turns"},
            new String[] {"POST", "/mcp"});

    static Stream<Arguments> cases() {
        return BAD.stream().flatMap(tenant -> ROUTES.stream().map(r -> Arguments.of(r[0], r[1], tenant)));
    }

    @BeforeAll
    static void start() throws Exception {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        open = SkeinIngress.builder(
                        TestIngressConfig.builder().build(),
                        new RecordingGateway(),
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .history(new FakeHistory())
                .build();
        openPort = open.start();
        authed = new AuthedIngress(dir);
    }

    @AfterAll
    static void stop() {
        open.close();
        authed.close();
    }

    @ParameterizedTest(name = "{0} {1} as tenant {2}")
    @MethodSource("cases")
    void anInvalidTenantHeaderIsABadRequestOnEveryRoute(String method, String path, String tenant) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + openPort + path))
                .timeout(Duration.ofSeconds(10))
                .header("content-type", "application/json")
                .header("accept", "application/json, text/event-stream")
                .header(IngressConfig.TENANT_HEADER, tenant)
                .method(method, HttpRequest.BodyPublishers.ofString(body(path)))
                .build();
        assertBadTenant(http.send(request, HttpResponse.BodyHandlers.ofString()), tenant);
    }

    @ParameterizedTest(name = "{0} {1} as tenant {2}")
    @MethodSource("cases")
    void anOperatorCannotActForAnInvalidTenant(String method, String path, String tenant) throws Exception {
        assertBadTenant(
                authed.send(
                        method,
                        path,
                        body(path),
                        "Authorization",
                        "Bearer " + authed.operatorKey,
                        "accept",
                        "application/json, text/event-stream",
                        IngressConfig.TENANT_HEADER,
                        tenant),
                tenant);
    }

    private static String body(String path) {
        return path.equals("/mcp")
                ? "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/list\"}"
                : "{\"message\":\"hi\"}";
    }

    private static void assertBadTenant(HttpResponse<String> response, String tenant) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.headers().firstValue("content-type"))
                .hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        String error = new JsonObject(response.body()).getString("error");
        assertThat(error).contains("tenant '").contains("is invalid");
        // A header's bytes are Latin-1 on the wire: only ASCII names come back as sent.
        if (tenant.chars().allMatch(c -> c < 0x80 && !Character.isISOControl(c))) {
            // Quoted as at most 64 characters (ClientText): a longer name shows its start.
            assertThat(error).contains(tenant.length() <= 64 ? tenant : tenant.substring(0, 64) + "...");
        }
    }
}
