package dev.skein.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaParseException;

/**
 * A schema registry on a local port answering as Confluent's documents its v1 API: global ids
 * from {@code firstId}, BACKWARD compatibility, its error codes and messages. Records every
 * request so tests can check what the client sent.
 */
final class FakeConfluentRegistry implements AutoCloseable {

    record Request(
            String method, String rawPath, String contentType, String accept, String authorization, String body) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SUBJECT_VERSIONS = Pattern.compile("/subjects/([^/]+)/versions");
    private static final Pattern SUBJECT_VERSION = Pattern.compile("/subjects/([^/]+)/versions/([^/]+)");
    private static final Pattern SCHEMA_BY_ID = Pattern.compile("/schemas/ids/(-?\\d+)");
    private static final Pattern COMPATIBILITY = Pattern.compile("/compatibility/subjects/([^/]+)/versions/latest");

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final String expectedAuthorization;
    private final Map<Integer, String> schemaTextById = new LinkedHashMap<>();
    private final Map<String, List<Integer>> idsBySubject = new LinkedHashMap<>();
    private int nextId;
    private volatile Answer nextAnswer;
    private volatile Handler override;

    @FunctionalInterface
    interface Handler {
        void handle(HttpExchange exchange) throws IOException;
    }

    private record Answer(int status, String contentType, String body) {}

    FakeConfluentRegistry(int firstId, String expectedAuthorization) throws IOException {
        this.nextId = firstId;
        this.expectedAuthorization = expectedAuthorization;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    String url() {
        return "http://localhost:" + server.getAddress().getPort();
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The next request gets this answer, whatever it asks. */
    void answerNextWith(int status, String contentType, String body) {
        nextAnswer = new Answer(status, contentType, body);
    }

    /** Every request goes to {@code handler} from now on (for slow or broken registries). */
    void handleWith(Handler handler) {
        override = handler;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            requests.add(new Request(
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(),
                    exchange.getRequestHeaders().getFirst("Content-Type"),
                    exchange.getRequestHeaders().getFirst("Accept"),
                    exchange.getRequestHeaders().getFirst("Authorization"),
                    body));
            Handler handler = override;
            if (handler != null) {
                handler.handle(exchange);
                return;
            }
            Answer canned = nextAnswer;
            if (canned != null) {
                nextAnswer = null;
                send(exchange, canned.status(), canned.contentType(), canned.body());
                return;
            }
            if (expectedAuthorization != null
                    && !expectedAuthorization.equals(
                            exchange.getRequestHeaders().getFirst("Authorization"))) {
                error(exchange, 401, 401, "Unauthorized");
                return;
            }
            route(
                    exchange,
                    exchange.getRequestMethod(),
                    exchange.getRequestURI().getRawPath(),
                    body);
        }
    }

    private synchronized void route(HttpExchange exchange, String method, String path, String body) throws IOException {
        Matcher m;
        if (method.equals("GET") && path.equals("/subjects")) {
            ArrayNode subjects = JSON.createArrayNode();
            idsBySubject.keySet().forEach(subjects::add);
            ok(exchange, subjects);
        } else if (method.equals("POST") && (m = SUBJECT_VERSIONS.matcher(path)).matches()) {
            register(exchange, decode(m.group(1)), body);
        } else if (method.equals("GET") && (m = SUBJECT_VERSIONS.matcher(path)).matches()) {
            List<Integer> ids = idsBySubject.get(decode(m.group(1)));
            if (ids == null) {
                error(exchange, 404, 40401, "Subject '" + decode(m.group(1)) + "' not found.");
                return;
            }
            ArrayNode versions = JSON.createArrayNode();
            for (int v = 1; v <= ids.size(); v++) {
                versions.add(v);
            }
            ok(exchange, versions);
        } else if (method.equals("GET") && (m = SUBJECT_VERSION.matcher(path)).matches()) {
            version(exchange, decode(m.group(1)), m.group(2));
        } else if (method.equals("GET") && (m = SCHEMA_BY_ID.matcher(path)).matches()) {
            String text = schemaTextById.get(Integer.parseInt(m.group(1)));
            if (text == null) {
                error(exchange, 404, 40403, "Schema " + m.group(1) + " not found");
                return;
            }
            ok(exchange, JSON.createObjectNode().put("schema", text));
        } else if (method.equals("POST") && (m = COMPATIBILITY.matcher(path)).matches()) {
            compatibility(exchange, decode(m.group(1)), body);
        } else {
            error(exchange, 404, 404, "HTTP 404 Not Found");
        }
    }

    private void register(HttpExchange exchange, String subject, String body) throws IOException {
        Schema schema = parse(exchange, body);
        if (schema == null) {
            return;
        }
        List<Integer> ids = idsBySubject.getOrDefault(subject, new ArrayList<>());
        if (!ids.isEmpty() && !compatible(schema, schemaTextById.get(ids.get(ids.size() - 1)))) {
            error(
                    exchange,
                    409,
                    409,
                    "Schema being registered is incompatible with an earlier schema for subject \"" + subject + "\"");
            return;
        }
        String text = schema.toString();
        int id = schemaTextById.entrySet().stream()
                .filter(e -> e.getValue().equals(text))
                .map(Map.Entry::getKey)
                .findFirst()
                .orElseGet(() -> {
                    schemaTextById.put(nextId, text);
                    return nextId++;
                });
        if (!ids.contains(id)) {
            ids.add(id);
        }
        idsBySubject.put(subject, ids);
        ok(exchange, JSON.createObjectNode().put("id", id));
    }

    private void version(HttpExchange exchange, String subject, String version) throws IOException {
        List<Integer> ids = idsBySubject.get(subject);
        if (ids == null) {
            error(exchange, 404, 40401, "Subject '" + subject + "' not found.");
            return;
        }
        int v;
        try {
            v = version.equals("latest") ? ids.size() : Integer.parseInt(version);
        } catch (NumberFormatException e) {
            error(exchange, 422, 42202, "The specified version '" + version + "' is not a valid version id.");
            return;
        }
        if (v < 1 || v > ids.size()) {
            error(exchange, 404, 40402, "Version " + version + " not found.");
            return;
        }
        int id = ids.get(v - 1);
        ok(
                exchange,
                JSON.createObjectNode()
                        .put("subject", subject)
                        .put("version", v)
                        .put("id", id)
                        .put("schema", schemaTextById.get(id)));
    }

    private void compatibility(HttpExchange exchange, String subject, String body) throws IOException {
        List<Integer> ids = idsBySubject.get(subject);
        if (ids == null) {
            error(exchange, 404, 40401, "Subject '" + subject + "' not found.");
            return;
        }
        Schema schema = parse(exchange, body);
        if (schema != null) {
            ok(
                    exchange,
                    JSON.createObjectNode()
                            .put("is_compatible", compatible(schema, schemaTextById.get(ids.get(ids.size() - 1)))));
        }
    }

    private Schema parse(HttpExchange exchange, String body) throws IOException {
        try {
            JsonNode request = JSON.readTree(body);
            return new Schema.Parser().parse(request.path("schema").asText());
        } catch (IOException | SchemaParseException e) {
            error(exchange, 422, 42201, "Either the input schema or one its references is invalid");
            return null;
        }
    }

    // BACKWARD, Confluent's default: consumers with the new schema can read data written with the latest.
    private static boolean compatible(Schema reader, String latestWriter) {
        Schema writer = new Schema.Parser().parse(latestWriter);
        return SchemaCompatibility.checkReaderWriterCompatibility(reader, writer)
                        .getType()
                == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
    }

    private static String decode(String segment) {
        return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static void ok(HttpExchange exchange, JsonNode json) throws IOException {
        send(exchange, 200, RestSchemaRegistry.CONTENT_TYPE, json.toString());
    }

    private static void error(HttpExchange exchange, int status, int code, String message) throws IOException {
        ObjectNode json = JSON.createObjectNode().put("error_code", code).put("message", message);
        send(exchange, status, RestSchemaRegistry.CONTENT_TYPE, json.toString());
    }

    static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }
}
