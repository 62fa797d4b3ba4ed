package dev.skein.adapters.langgraph;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A local stand-in for the LangGraph Agent Server: answers requests in order with the responses
 * a test scripted (recorded fixtures), and records every request for the test to assert.
 */
final class FakeAgentServer implements AutoCloseable {

    /** One request as the server received it; header names in lower case. */
    record Request(String method, String path, Map<String, String> headers, String body) {}

    record Response(int status, String body, Map<String, String> headers) {}

    private final HttpServer server;
    private final Deque<Response> responses = new ArrayDeque<>();
    private final List<Request> requests = new ArrayList<>();
    private Response otherwise;

    FakeAgentServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    FakeAgentServer respond(int status, String body) {
        return respond(status, body, Map.of());
    }

    synchronized FakeAgentServer respond(int status, String body, Map<String, String> headers) {
        responses.add(new Response(status, body, headers));
        return this;
    }

    /** The answer to every request after the scripted ones. */
    synchronized FakeAgentServer otherwise(int status, String body, Map<String, String> headers) {
        otherwise = new Response(status, body, headers);
        return this;
    }

    synchronized List<Request> requests() {
        return List.copyOf(requests);
    }

    private void handle(HttpExchange exchange) throws IOException {
        Response response;
        try (InputStream in = exchange.getRequestBody()) {
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders()
                    .forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), values.getFirst()));
            String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            synchronized (this) {
                requests.add(new Request(
                        exchange.getRequestMethod(), exchange.getRequestURI().getPath(), headers, body));
                response = responses.isEmpty() ? otherwise : responses.poll();
            }
        }
        if (response == null) {
            response = new Response(500, "{\"detail\":\"the test scripted no response for this request\"}", Map.of());
        }
        byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        response.headers().forEach(exchange.getResponseHeaders()::set);
        exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    static String fixture(String name) {
        try (InputStream in = FakeAgentServer.class.getResourceAsStream("/fixtures/langgraph/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no fixture " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
