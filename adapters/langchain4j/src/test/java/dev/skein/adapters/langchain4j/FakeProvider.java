package dev.skein.adapters.langchain4j;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A local HTTP server standing in for a model provider: it answers each request with the next
 * queued reply (a status and a recorded body from {@code src/test/resources/fixtures}) and
 * records what it received, so tests assert the exact requests the real LangChain4j models send.
 */
final class FakeProvider implements AutoCloseable {

    /** One request as received; header names are lower-cased. */
    record Request(String method, String path, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private record Reply(int status, String body, CountDownLatch arrived, CountDownLatch hold) {}

    private final HttpServer server;
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final Deque<Reply> replies = new ArrayDeque<>();
    private final List<Request> requests = new ArrayList<>();

    FakeProvider() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The server's root, e.g. {@code http://127.0.0.1:54321}. */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** Queues a JSON reply whose body is the fixture at {@code fixtures/<path>}. */
    FakeProvider reply(int status, String fixture) {
        return replyBody(status, Fixtures.text(fixture));
    }

    FakeProvider replyBody(int status, String body) {
        synchronized (replies) {
            replies.add(new Reply(status, body, null, null));
        }
        return this;
    }

    /**
     * Queues a reply that counts {@code arrived} down when its request is in, and is only sent
     * once {@code hold} is counted down (or the server stops).
     */
    FakeProvider replyAfter(CountDownLatch arrived, CountDownLatch hold, int status, String fixture) {
        synchronized (replies) {
            replies.add(new Reply(status, Fixtures.text(fixture), arrived, hold));
        }
        return this;
    }

    List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange;
                InputStream in = exchange.getRequestBody()) {
            Map<String, String> headers = new TreeMap<>();
            exchange.getRequestHeaders()
                    .forEach((name, values) -> headers.put(name.toLowerCase(Locale.ROOT), String.join(",", values)));
            synchronized (requests) {
                requests.add(new Request(
                        exchange.getRequestMethod(),
                        exchange.getRequestURI().getPath(),
                        headers,
                        new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            }
            Reply reply;
            synchronized (replies) {
                reply = replies.poll();
            }
            if (reply == null) {
                reply = new Reply(
                        500,
                        "{\"error\":{\"type\":\"test_error\",\"message\":\"no reply queued in the fake provider\"}}",
                        null,
                        null);
            }
            if (reply.hold() != null) {
                reply.arrived().countDown();
                try {
                    reply.hold().await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new UncheckedIOException(new IOException("fake provider stopped while holding a reply", e));
                }
            }
            byte[] body = reply.body().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(reply.status(), body.length);
            exchange.getResponseBody().write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
