package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * An error that quotes what the client sent shows at most 64 characters of it, with control
 * characters escaped (docs/security.md): a 300-character id must not come back whole, and a
 * newline or an escape sequence in it must not reach a log line or a terminal as one. Each surface
 * that echoes input (HTTP, SSE, WebSocket, MCP, A2A, /v1/memory, the registry) is tried.
 */
class EchoedInputTest {

    private static final String LONG = "a".repeat(300);
    /** In a path or query: a newline, ESC [31m (red), a right-to-left override. */
    private static final String HOSTILE_IN_URL = LONG + "%0A%1B%5B31m%E2%80%AE";
    /** In a JSON string, the same characters. */
    private static final String HOSTILE_IN_JSON = LONG + "\\n\\u001b[31m\\u202e";

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

    static Stream<Arguments> echoes() {
        String turn = "{\"message\":\"hi\"}";
        return Stream.of(
                Arguments.of("a long session id", "POST", "/v1/sessions/" + LONG + "/turns", turn, 400),
                Arguments.of("a hostile session id", "POST", "/v1/sessions/" + HOSTILE_IN_URL + "/turns", turn, 400),
                Arguments.of("a long session id, history", "GET", "/v1/sessions/" + LONG + "/history", null, 400),
                Arguments.of("a hostile turn id, trace", "GET", "/v1/sessions/s1/turns/" + LONG + "/trace", null, 400),
                Arguments.of("a hostile turn id, SSE", "GET", "/v1/sessions/s1/turns/" + LONG + "/events", null, 400),
                Arguments.of(
                        "a hostile SSE position", "GET", "/v1/sessions/s1/events?after=" + HOSTILE_IN_URL, null, 400),
                Arguments.of(
                        "a hostile turnId in the body",
                        "POST",
                        "/v1/sessions/s1/turns",
                        "{\"message\":\"hi\",\"turnId\":\"" + HOSTILE_IN_JSON + "\"}",
                        400),
                Arguments.of(
                        "a hostile field name",
                        "POST",
                        "/v1/sessions/s1/turns",
                        "{\"message\":\"hi\",\"" + HOSTILE_IN_JSON + "\":1}",
                        400),
                Arguments.of(
                        "a hostile doubleTexting",
                        "POST",
                        "/v1/sessions/s1/turns",
                        "{\"message\":\"hi\",\"doubleTexting\":\"" + HOSTILE_IN_JSON + "\"}",
                        400),
                Arguments.of("a hostile wait", "POST", "/v1/sessions/s1/turns?wait=" + HOSTILE_IN_URL, turn, 400),
                Arguments.of("a hostile listing limit", "GET", "/v1/sessions?limit=" + HOSTILE_IN_URL, null, 400),
                Arguments.of("a hostile listing cursor", "GET", "/v1/sessions?cursor=" + HOSTILE_IN_URL, null, 400),
                Arguments.of("a hostile memory user", "GET", "/v1/memory?user=" + HOSTILE_IN_URL, null, 400),
                Arguments.of("a hostile memory user, delete", "DELETE", "/v1/memory/m1?user=" + LONG, null, 400),
                Arguments.of(
                        "a hostile MCP method",
                        "POST",
                        "/mcp",
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + HOSTILE_IN_JSON + "\"}",
                        200),
                Arguments.of(
                        "a hostile MCP tool name",
                        "POST",
                        "/mcp",
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\""
                                + HOSTILE_IN_JSON + "\"}}",
                        200),
                Arguments.of("a hostile A2A agent", "POST", "/a2a/" + LONG, "{}", 404),
                Arguments.of(
                        "a hostile A2A method",
                        "POST",
                        "/a2a/support",
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + HOSTILE_IN_JSON + "\",\"params\":{}}",
                        200),
                Arguments.of(
                        "a hostile A2A task id",
                        "POST",
                        "/a2a/support",
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"GetTask\",\"params\":{\"id\":\"" + HOSTILE_IN_JSON
                                + "\"}}",
                        200),
                Arguments.of(
                        "a hostile registry subject",
                        "GET",
                        "/registry/subjects/" + HOSTILE_IN_URL + "/versions",
                        null,
                        404));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("echoes")
    void anEchoedValueIsBoundedAndEscaped(String name, String method, String path, String body, int status)
            throws Exception {
        String key = path.startsWith("/registry") ? node.operatorKey : node.acmeKey;
        HttpResponse<String> response = node.send(method, path, body, "Authorization", "Bearer " + key);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertBounded(message(new JsonObject(response.body())));
    }

    @Test
    void aWebSocketUpgradeForAHostileSessionIdIsRefusedWithABoundedError() throws Exception {
        RawHttp.Response response =
                node.upgrade("/v1/sessions/" + LONG + "/stream", "Authorization", "Bearer " + node.acmeKey);

        assertThat(response.status()).as(response.toString()).isEqualTo(400);
        assertBounded(response.error());
    }

    @Test
    void aHostileMcpProtocolVersionIsRefusedWithABoundedError() throws Exception {
        HttpResponse<String> response = node.send(
                "POST",
                "/mcp",
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}",
                "Authorization",
                "Bearer " + node.acmeKey,
                "MCP-Protocol-Version",
                "2025-" + LONG);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertBounded(message(new JsonObject(response.body())));
    }

    /** What the client sent shows as at most 64 of its characters, and none of them a control character. */
    private static void assertBounded(String message) {
        assertThat(message).isNotBlank().doesNotContain("a".repeat(65));
        assertThat(message.length()).as(message).isLessThan(500);
        assertThat(message.chars().filter(c -> Character.isISOControl(c) || c == 0x202E))
                .as(message)
                .isEmpty();
    }

    // {"error": "..."} on /v1 and /mcp, {"message": ...} under /registry, a JSON-RPC error on A2A.
    private static String message(JsonObject body) {
        Object error = body.getValue("error");
        if (error instanceof JsonObject rpc) {
            return rpc.getString("message");
        }
        return error != null ? (String) error : body.getString("message");
    }
}
