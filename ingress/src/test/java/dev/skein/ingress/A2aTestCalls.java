package dev.skein.ingress;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * An A2A 1.0 client for the ingress tests, written from the specification (JSON-RPC 2.0 envelopes,
 * the HTTP+JSON paths of {@code a2a.proto}, Server-Sent Events whose data is one JSON object), not
 * from the server's classes: it only builds requests and reads answers as JSON.
 */
final class A2aTestCalls {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private final String base;
    private final String bearer;

    A2aTestCalls(int port, String bearer) {
        this.base = "http://127.0.0.1:" + port;
        this.bearer = bearer;
    }

    String base() {
        return base;
    }

    /** A {@code SendMessageRequest}'s params with one text part. */
    static JsonObject message(String contextId, String taskId, String text) {
        JsonObject message = new JsonObject()
                .put("messageId", java.util.UUID.randomUUID().toString())
                .put("role", "ROLE_USER")
                .put("parts", new JsonArray().add(new JsonObject().put("text", text)));
        if (contextId != null) {
            message.put("contextId", contextId);
        }
        if (taskId != null) {
            message.put("taskId", taskId);
        }
        return new JsonObject().put("message", message);
    }

    /** A JSON-RPC call to {@code /a2a/{agent}}: the whole response object. */
    JsonObject rpc(String agent, String method, JsonObject params) throws IOException, InterruptedException {
        HttpResponse<String> response = post("/a2a/" + agent, envelope(method, params));
        return new JsonObject(response.body()).put("httpStatus", response.statusCode());
    }

    /** A JSON-RPC streaming call: the {@code result} of every event (or its {@code error}). */
    List<JsonObject> rpcStream(String agent, String method, JsonObject params)
            throws IOException, InterruptedException {
        HttpResponse<String> response = post("/a2a/" + agent, envelope(method, params));
        if (!response.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream")) {
            // Refused before the stream began: one JSON-RPC response.
            return List.of(new JsonObject(response.body()));
        }
        return events(response.body(), true);
    }

    static String envelope(String method, JsonObject params) {
        return new JsonObject()
                .put("jsonrpc", "2.0")
                .put("id", "req-" + System.nanoTime())
                .put("method", method)
                .put("params", params)
                .encode();
    }

    /** The data of each Server-Sent Event; with {@code rpc}, each one's result or error. */
    static List<JsonObject> events(String body, boolean rpc) {
        List<JsonObject> events = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            if (event.startsWith("data: ")) {
                JsonObject data = new JsonObject(event.substring("data: ".length()));
                events.add(rpc ? (data.containsKey("error") ? data : data.getJsonObject("result")) : data);
            }
        }
        return events;
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return HTTP.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> delete(String path) throws IOException, InterruptedException {
        return HTTP.send(request(path).DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path, String body) throws IOException, InterruptedException {
        return HTTP.send(
                request(path)
                        .header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path))
                .timeout(Duration.ofSeconds(20))
                .header("A2A-Version", "1.0");
        if (bearer != null) {
            builder.header("Authorization", "Bearer " + bearer);
        }
        return builder;
    }

    static String state(JsonObject task) {
        return task.getJsonObject("status").getString("state");
    }

    static String statusText(JsonObject task) {
        JsonObject message = task.getJsonObject("status").getJsonObject("message");
        return message == null
                ? null
                : message.getJsonArray("parts").getJsonObject(0).getString("text");
    }
}
