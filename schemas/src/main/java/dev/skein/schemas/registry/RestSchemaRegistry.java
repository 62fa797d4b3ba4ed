package dev.skein.schemas.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of the Confluent Schema Registry REST API (v1), which Karapace, Apicurio (in its
 * Confluent-compatible mode) and Redpanda also serve. Only Avro schemas without references.
 *
 * <p>Caches as {@link SchemaRegistry} promises: a schema registered under a subject is not sent
 * again, and a schema fetched by id is not fetched again (ids are immutable in a registry).
 * Lookups of subjects and versions ({@link #subjects()}, {@link #versions(String)},
 * {@link #version(String, int)}) are not cached, since they change as schemas are registered.
 *
 * <p>Every request has a timeout. Failures are {@link SchemaRegistryException}s carrying the
 * registry's {@code error_code} (or the HTTP status when the body has none, or -1 when the
 * registry could not be reached) and a message that says what to do. Thread-safe.
 */
public final class RestSchemaRegistry implements SchemaRegistry {

    /** The media type of the registry's v1 API, sent as Content-Type and Accept. */
    public static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";

    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger log = LoggerFactory.getLogger(RestSchemaRegistry.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    // Some registries and proxies answer plain JSON; accept it as Confluent's own client does.
    private static final String ACCEPT =
            CONTENT_TYPE + ", application/vnd.schemaregistry+json; qs=0.9, application/json; qs=0.5";

    private final String baseUrl;
    private final Duration timeout;
    private final String authorization;
    private final HttpClient http;
    // Keyed by the schema's JSON text rather than the Schema: Schema objects are mutable (addProp).
    private final Map<String, Map<String, Integer>> idBySchemaBySubject = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemaById = new ConcurrentHashMap<>();

    /** A client of the registry at {@code baseUrl} (for example {@code http://localhost:8081}), no auth. */
    public RestSchemaRegistry(String baseUrl) {
        this(baseUrl, null, DEFAULT_TIMEOUT);
    }

    /**
     * @param baseUrl the registry's root, {@code http://} or {@code https://}; a trailing slash is ignored
     * @param basicAuthUserInfo {@code user:password} for HTTP basic auth (Confluent Cloud: API key and
     *     secret), or null for none
     * @param timeout the limit of each request, connecting included
     */
    public RestSchemaRegistry(String baseUrl, String basicAuthUserInfo, Duration timeout) {
        this.baseUrl = validBaseUrl(baseUrl);
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("schema registry timeout must be positive, got " + timeout);
        }
        this.timeout = timeout;
        this.authorization = basicAuthUserInfo == null ? null : basicAuthorization(basicAuthUserInfo);
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** The registry's root URL, without a trailing slash. */
    public String baseUrl() {
        return baseUrl;
    }

    /**
     * Registers {@code schema} under {@code subject} ({@code POST /subjects/{subject}/versions});
     * the registry answers with the existing id when it already has the schema.
     *
     * @throws SchemaRegistryException 409 when the schema is incompatible with the subject's
     *     latest version under its compatibility level; 42201 when the registry finds it invalid
     */
    @Override
    public int register(String subject, Schema schema) {
        requireSubject(subject);
        Objects.requireNonNull(schema, "schema");
        String text = schema.toString();
        Map<String, Integer> ids = idBySchemaBySubject.computeIfAbsent(subject, s -> new ConcurrentHashMap<>());
        Integer cached = ids.get(text);
        if (cached != null) {
            return cached;
        }
        // Concurrent first registrations may both reach the registry; it answers both with the same id.
        JsonNode answer = send(
                "register a schema under subject '" + subject + "'",
                subject,
                post("/subjects/" + segment(subject) + "/versions", schemaBody(text)));
        int id = requiredInt(answer, "id", "register");
        ids.put(text, id);
        schemaById.putIfAbsent(id, schema);
        log.debug("Schema {} registered under subject {} with id {}", schema.getFullName(), subject, id);
        return id;
    }

    /** The schema with this global id ({@code GET /schemas/ids/{id}}), fetched once. */
    @Override
    public Schema schemaById(int id) {
        Schema cached = schemaById.get(id);
        if (cached != null) {
            return cached;
        }
        JsonNode answer = send("get the schema with id " + id, null, get("/schemas/ids/" + id));
        Schema schema = parseAnswer(answer, "schema id " + id);
        Schema raced = schemaById.putIfAbsent(id, schema);
        return raced == null ? schema : raced;
    }

    /** All subjects of the registry ({@code GET /subjects}). */
    public List<String> subjects() {
        JsonNode answer = send("list subjects", null, get("/subjects"));
        List<String> subjects = new ArrayList<>();
        requiredArray(answer, "list subjects").forEach(node -> subjects.add(node.asText()));
        return subjects;
    }

    /**
     * The version numbers of {@code subject}, oldest first ({@code GET /subjects/{subject}/versions}).
     *
     * @throws SchemaRegistryException 40401 when the subject does not exist
     */
    public List<Integer> versions(String subject) {
        requireSubject(subject);
        JsonNode answer = send(
                "list the versions of subject '" + subject + "'",
                subject,
                get("/subjects/" + segment(subject) + "/versions"));
        List<Integer> versions = new ArrayList<>();
        requiredArray(answer, "list versions").forEach(node -> versions.add(node.asInt()));
        return versions;
    }

    /**
     * One version of {@code subject} ({@code GET /subjects/{subject}/versions/{version}}); -1 means the latest.
     *
     * @throws SchemaRegistryException 40401 when the subject does not exist, 40402 when the version does not
     */
    public SubjectVersion version(String subject, int version) {
        requireSubject(subject);
        String path =
                "/subjects/" + segment(subject) + "/versions/" + (version == -1 ? "latest" : Integer.toString(version));
        JsonNode answer = send("get version " + version + " of subject '" + subject + "'", subject, get(path));
        int id = requiredInt(answer, "id", "get a version");
        Schema schema = schemaById.computeIfAbsent(
                id, i -> parseAnswer(answer, "subject '" + subject + "' version " + version));
        return new SubjectVersion(subject, requiredInt(answer, "version", "get a version"), id, schema);
    }

    /**
     * Whether {@code schema} could be registered under {@code subject}, checked against its latest
     * version under the subject's compatibility level
     * ({@code POST /compatibility/subjects/{subject}/versions/latest}). Registers nothing.
     *
     * @throws SchemaRegistryException 40401 when the subject does not exist (registries differ here:
     *     some answer compatible instead)
     */
    public boolean testCompatibility(String subject, Schema schema) {
        requireSubject(subject);
        Objects.requireNonNull(schema, "schema");
        JsonNode answer = send(
                "check compatibility with subject '" + subject + "'",
                subject,
                post(
                        "/compatibility/subjects/" + segment(subject) + "/versions/latest",
                        schemaBody(schema.toString())));
        JsonNode compatible = answer.get("is_compatible");
        if (compatible == null || !compatible.isBoolean()) {
            throw unexpectedAnswer("check compatibility", "is_compatible", answer);
        }
        return compatible.booleanValue();
    }

    @Override
    public void close() {
        http.close();
    }

    /** One version of a subject, as the registry stores it. */
    public record SubjectVersion(String subject, int version, int id, Schema schema) {}

    private HttpRequest.Builder get(String path) {
        return request(path).GET();
    }

    private HttpRequest.Builder post(String path, String body) {
        return request(path)
                .header("Content-Type", CONTENT_TYPE)
                .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(timeout)
                .header("Accept", ACCEPT);
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        return builder;
    }

    private JsonNode send(String action, String subject, HttpRequest.Builder builder) {
        HttpRequest request = builder.build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (HttpTimeoutException e) {
            throw new SchemaRegistryException(
                    "Cannot " + action + ": schema registry at " + baseUrl
                            + " did not answer " + request.method() + " "
                            + request.uri().getRawPath() + " within " + timeout
                            + ". Check that it is up and not overloaded, or raise the registry timeout.",
                    e);
        } catch (IOException e) {
            throw new SchemaRegistryException(
                    "Cannot " + action + ": schema registry at " + baseUrl + " could not be reached (" + e
                            + "). Check the registry URL and that the registry is running.",
                    e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException("Interrupted while waiting to " + action + " at " + baseUrl, e);
        }
        int status = response.statusCode();
        if (status / 100 != 2) {
            throw RegistryError.of(status, response.body()).toException(action, subject, baseUrl);
        }
        try {
            return JSON.readTree(response.body());
        } catch (JsonProcessingException e) {
            throw new SchemaRegistryException(
                    "Cannot " + action + ": schema registry at " + baseUrl
                            + " answered " + status + " with a body that is not JSON: "
                            + RegistryError.abbreviate(response.body())
                            + ". Check that the URL points at a schema registry, not another service.",
                    e);
        }
    }

    private Schema parseAnswer(JsonNode answer, String what) {
        JsonNode references = answer.get("references");
        if (references != null && references.isArray() && !references.isEmpty()) {
            throw new SchemaRegistryException(
                    "The registry's " + what + " uses schema references, which Skein's"
                            + " registry client does not resolve: register it with its referenced types inlined",
                    -1);
        }
        JsonNode type = answer.get("schemaType");
        if (type != null && !"AVRO".equals(type.asText())) {
            throw new SchemaRegistryException(
                    "The registry's " + what + " is a " + type.asText()
                            + " schema; Skein reads only Avro. Check that the topic is one of Skein's.",
                    -1);
        }
        JsonNode text = answer.get("schema");
        if (text == null || !text.isTextual()) {
            throw unexpectedAnswer("read " + what, "schema", answer);
        }
        try {
            return new Schema.Parser().parse(text.asText());
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException(
                    "The registry's " + what + " is not a valid Avro schema: " + e.getMessage(), e);
        }
    }

    private int requiredInt(JsonNode answer, String field, String action) {
        JsonNode node = answer.get(field);
        if (node == null || !node.canConvertToInt()) {
            throw unexpectedAnswer(action, field, answer);
        }
        return node.intValue();
    }

    private JsonNode requiredArray(JsonNode answer, String action) {
        if (!answer.isArray()) {
            throw unexpectedAnswer(action, "a JSON array", answer);
        }
        return answer;
    }

    private SchemaRegistryException unexpectedAnswer(String action, String expected, JsonNode answer) {
        return new SchemaRegistryException(
                "Cannot " + action + ": schema registry at " + baseUrl + " answered without "
                        + expected + ": " + RegistryError.abbreviate(answer.toString())
                        + ". Check that the URL points at a Confluent-compatible schema registry.",
                -1);
    }

    private static String schemaBody(String schemaText) {
        return JSON.createObjectNode().put("schema", schemaText).toString();
    }

    // Subjects are free text (TopicNameStrategy gives <topic>-value, but '/' or spaces are legal).
    private static String segment(String subject) {
        return URLEncoder.encode(subject, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static void requireSubject(String subject) {
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("schema registry subject must not be blank");
        }
    }

    private static String validBaseUrl(String baseUrl) {
        if (baseUrl == null || baseUrl.isBlank()) {
            throw new IllegalArgumentException("schema registry URL must not be blank");
        }
        String trimmed = baseUrl.strip();
        while (trimmed.endsWith("/")) {
            trimmed = trimmed.substring(0, trimmed.length() - 1);
        }
        URI uri;
        try {
            uri = URI.create(trimmed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "schema registry URL '" + baseUrl + "' is not a URL: " + e.getMessage(), e);
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme()) || uri.getHost() == null) {
            throw new IllegalArgumentException("schema registry URL '" + baseUrl
                    + "' must be http:// or https:// with a host, for example http://localhost:8081");
        }
        if (uri.getRawUserInfo() != null) {
            // Credentials in the URL would end up in logs and error messages.
            throw new IllegalArgumentException(
                    "schema registry URL must not carry credentials: pass user:password as" + " basic auth instead");
        }
        return trimmed;
    }

    private static String basicAuthorization(String userInfo) {
        int colon = userInfo.indexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException(
                    "schema registry basic auth must be user:password (for Confluent Cloud," + " API key:API secret)");
        }
        return "Basic " + Base64.getEncoder().encodeToString(userInfo.getBytes(StandardCharsets.UTF_8));
    }
}
