package dev.skein.adapters.a2a;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * A local A2A agent: answers requests in order with the responses a test scripted (recorded
 * fixtures, with {@code {{BASE}}} replaced by this server's URL), and records every request.
 * Event streams are written one event at a time, flushed, as an agent streams them.
 */
final class FakeA2aServer implements AutoCloseable {

    /** One request as the server received it; header names in lower case. */
    record Request(String method, String path, Map<String, String> headers, String body) {}

    private record Response(int status, String contentType, String body, Map<String, String> headers) {}

    /** Stands for a request the agent takes and never answers. */
    private static final Response STALL = new Response(0, "", "", Map.of());

    private final HttpServer server;
    private final Deque<Response> responses = new ArrayDeque<>();
    private final List<Request> requests = new ArrayList<>();
    private final CountDownLatch closed = new CountDownLatch(1);
    private Response otherwise;

    FakeA2aServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", this::handle);
        // One thread per exchange, so a stalled request does not hold up the next one.
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.start();
    }

    /** The next request is received and never answered (until the server closes). */
    synchronized FakeA2aServer stall() {
        responses.add(STALL);
        return this;
    }

    /** The answer to every request after the scripted ones. */
    synchronized FakeA2aServer otherwise(int status, String body, Map<String, String> headers) {
        otherwise = new Response(status, "application/json", body, headers);
        return this;
    }

    String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    FakeA2aServer json(int status, String body) {
        return respond(status, "application/json", body, Map.of());
    }

    FakeA2aServer events(String body) {
        return respond(200, "text/event-stream; charset=utf-8", body, Map.of("Cache-Control", "no-cache"));
    }

    synchronized FakeA2aServer respond(int status, String contentType, String body, Map<String, String> headers) {
        responses.add(new Response(status, contentType, body.replace("{{BASE}}", base()), headers));
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
        if (response == STALL) {
            try {
                closed.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
            return;
        }
        if (response == null) {
            response = new Response(
                    500,
                    "application/json",
                    "{\"detail\":\"the test scripted no response for this request\"}",
                    Map.of());
        }
        exchange.getResponseHeaders().set("Content-Type", response.contentType());
        response.headers().forEach(exchange.getResponseHeaders()::set);
        try (OutputStream out = exchange.getResponseBody()) {
            if (response.contentType().startsWith("text/event-stream")) {
                exchange.sendResponseHeaders(response.status(), 0);
                for (String event : response.body().split("(?<=\n\n)")) {
                    out.write(event.getBytes(StandardCharsets.UTF_8));
                    out.flush();
                }
            } else {
                byte[] bytes = response.body().getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
                out.write(bytes);
            }
        }
    }

    static String fixture(String name) {
        try (InputStream in = FakeA2aServer.class.getResourceAsStream("/fixtures/a2a/" + name)) {
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
        closed.countDown();
        server.stop(0);
    }
}
