package dev.skein.app.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/** What a user does with Skein over HTTP and WebSocket, for the end-to-end tests. */
public final class SkeinClient {

    public static final ObjectMapper JSON = new ObjectMapper();

    public record Response(int status, JsonNode body) {}

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;

    public SkeinClient(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    public Response postTurn(String session, String message, boolean wait) {
        String body = JSON.createObjectNode().put("message", message).toString();
        return send(HttpRequest.newBuilder(
                        URI.create(base + "/v1/sessions/" + session + "/turns" + (wait ? "?wait=60" : "")))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public Response postRaw(String session, String body) {
        return send(HttpRequest.newBuilder(URI.create(base + "/v1/sessions/" + session + "/turns"))
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    public Response history(String session) {
        return send(HttpRequest.newBuilder(URI.create(base + "/v1/sessions/" + session + "/history"))
                .GET());
    }

    public Response health() {
        return send(HttpRequest.newBuilder(URI.create(base + "/health")).GET());
    }

    public Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response =
                    http.send(request.timeout(Duration.ofSeconds(90)).build(), HttpResponse.BodyHandlers.ofString());
            JsonNode body = response.body().isEmpty() ? JSON.nullNode() : JSON.readTree(response.body());
            return new Response(response.statusCode(), body);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** A WebSocket on a session's stream whose frames are queued as JSON. */
    public Stream stream(String session) {
        Stream stream = new Stream();
        stream.socket = http.newWebSocketBuilder()
                .buildAsync(URI.create(base.replace("http", "ws") + "/v1/sessions/" + session + "/stream"), stream)
                .join();
        return stream;
    }

    public static final class Stream implements WebSocket.Listener, AutoCloseable {
        private final BlockingQueue<JsonNode> frames = new LinkedBlockingQueue<>();
        private final StringBuilder partial = new StringBuilder();
        WebSocket socket;

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                try {
                    frames.add(JSON.readTree(partial.toString()));
                } catch (IOException e) {
                    frames.add(
                            JSON.createObjectNode().put("type", "unparseable").put("text", partial.toString()));
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        public void send(String text) {
            socket.sendText(text, true).join();
        }

        /** The next frame, or null after {@code timeout}. */
        public JsonNode next(Duration timeout) throws InterruptedException {
            return frames.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            socket.sendClose(WebSocket.NORMAL_CLOSURE, "done")
                    .orTimeout(5, TimeUnit.SECONDS)
                    .exceptionally(e -> null)
                    .join();
        }
    }
}
