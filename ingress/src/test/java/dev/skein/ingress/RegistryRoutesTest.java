package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.registry.ListableSchemaRegistry;
import dev.skein.schemas.registry.RestSchemaRegistry;
import dev.skein.schemas.registry.SchemaRegistryException;
import io.vertx.core.Context;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code /registry}, the Confluent Schema Registry API, over an in-memory registry: read by Skein's
 * own Confluent client and by raw requests, with the hostile cases answered in Confluent's error shape.
 */
class RegistryRoutesTest {

    private static final String V1 = "application/vnd.schemaregistry.v1+json";
    private static final Schema GREETING = new Schema.Parser().parse("""
            {"type":"record","name":"Greeting","namespace":"test","fields":[{"name":"text","type":"string"}]}""");
    private static final Schema GREETING_V2 = new Schema.Parser().parse("""
            {"type":"record","name":"Greeting","namespace":"test","fields":[{"name":"text","type":"string"},
             {"name":"lang","type":"string","default":"en"}]}""");

    private static final OffLoopRegistry registry = new OffLoopRegistry(new InMemorySchemaRegistry());
    private static SkeinIngress ingress;
    private static HttpClient http;
    private static RestSchemaRegistry client;

    @BeforeAll
    static void start() {
        ingress = ingress(RegistryApi.serving(registry));
        ingress.start();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        client = new RestSchemaRegistry(base(ingress) + "/registry/");
        client.register("greetings-value", GREETING);
        client.register("greetings-value", GREETING_V2);
        client.register("other-value", GREETING);
    }

    @AfterAll
    static void stop() {
        client.close();
        http.close();
        ingress.close();
    }

    @Test
    void skeinsOwnConfluentClientRegistersAndReadsBack() {
        try (RestSchemaRegistry fresh = new RestSchemaRegistry(base(ingress) + "/registry")) {
            int id = fresh.register("greetings-value", GREETING_V2);

            assertThat(fresh.schemaById(id)).isEqualTo(GREETING_V2);
            assertThat(fresh.subjects()).containsExactly("greetings-value", "other-value");
            assertThat(fresh.versions("greetings-value")).containsExactly(1, 2);
            RestSchemaRegistry.SubjectVersion latest = fresh.version("greetings-value", -1);
            assertThat(latest.version()).isEqualTo(2);
            assertThat(latest.id()).isEqualTo(id);
            assertThat(latest.schema()).isEqualTo(GREETING_V2);
            assertThat(fresh.version("other-value", 1).schema()).isEqualTo(GREETING);
            assertThatThrownBy(() -> fresh.versions("nobody-value"))
                    .isInstanceOfSatisfying(
                            SchemaRegistryException.class,
                            e -> assertThat(e.errorCode()).isEqualTo(40401));
        }
    }

    @Test
    void everyRegistryCallRunsOffTheEventLoop() throws Exception {
        int before = registry.calls.get();
        get("/registry/subjects/greetings-value/versions/latest");
        post("/registry/subjects/greetings-value", body(GREETING), V1);

        assertThat(registry.calls.get()).isGreaterThan(before);
        assertThat(registry.onEventLoop.get()).isZero();
    }

    @Test
    void versionsAnswerConfluentsShapes() throws Exception {
        HttpResponse<String> latest = get("/registry/subjects/greetings-value/versions/latest");
        assertThat(latest.statusCode()).isEqualTo(200);
        assertThat(latest.headers().firstValue("content-type")).hasValue(V1);
        JsonObject version = new JsonObject(latest.body());
        assertThat(version.fieldNames()).containsExactlyInAnyOrder("subject", "version", "id", "schema");
        assertThat(version.getString("subject")).isEqualTo("greetings-value");
        assertThat(version.getInteger("version")).isEqualTo(2);
        assertThat(new Schema.Parser().parse(version.getString("schema"))).isEqualTo(GREETING_V2);
        int id = version.getInteger("id");

        assertThat(new JsonArray(get("/registry/subjects").body()).getList())
                .containsExactly("greetings-value", "other-value");
        assertThat(new JsonArray(get("/registry/subjects/greetings-value/versions")
                                .body())
                        .getList())
                .containsExactly(1, 2);
        assertThat(new Schema.Parser()
                        .parse(get("/registry/subjects/greetings-value/versions/1/schema")
                                .body()))
                .isEqualTo(GREETING);
        assertThat(new JsonObject(get("/registry/schemas/ids/" + id).body()).getString("schema"))
                .isEqualTo(GREETING_V2.toString());
        assertThat(new Schema.Parser()
                        .parse(get("/registry/schemas/ids/" + id + "/schema").body()))
                .isEqualTo(GREETING_V2);
        int v1 = new JsonObject(get("/registry/subjects/other-value/versions/1").body()).getInteger("id");
        assertThat(new JsonArray(
                        get("/registry/schemas/ids/" + v1 + "/versions").body()))
                .containsExactly(
                        new JsonObject().put("subject", "greetings-value").put("version", 1),
                        new JsonObject().put("subject", "other-value").put("version", 1));
        assertThat(new JsonObject(get("/registry/config").body()).getString("compatibilityLevel"))
                .isEqualTo("NONE");
        assertThat(new JsonObject(get("/registry/config/greetings-value").body()).getString("compatibilityLevel"))
                .isEqualTo("NONE");
        assertThat(new JsonArray(get("/registry/schemas/types").body()).getList())
                .containsExactly("AVRO");
        assertThat(get("/registry").body()).isEqualTo("{}");
    }

    @Test
    void lookUpAnswersTheVersionOfASchemaUnderASubject() throws Exception {
        HttpResponse<String> found = post("/registry/subjects/greetings-value", body(GREETING), V1);

        assertThat(found.statusCode()).isEqualTo(200);
        JsonObject version = new JsonObject(found.body());
        assertThat(version.getInteger("version")).isEqualTo(1);
        assertThat(version.getString("subject")).isEqualTo("greetings-value");

        Schema absent = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"Other\",\"fields\":[]}");
        assertError(post("/registry/subjects/greetings-value", body(absent), V1), 404, 40403);
        assertError(post("/registry/subjects/nobody-value", body(GREETING), V1), 404, 40401);
    }

    @Test
    void theAnswerIsInTheMediaTypeTheClientAccepts() throws Exception {
        assertThat(get("/registry/subjects", "application/json").headers().firstValue("content-type"))
                .hasValue("application/json");
        assertThat(get("/registry/subjects", "application/vnd.schemaregistry+json")
                        .headers()
                        .firstValue("content-type"))
                .hasValue("application/vnd.schemaregistry+json");
        assertThat(get("/registry/subjects", "*/*").headers().firstValue("content-type"))
                .hasValue(V1);
        assertThat(get("/registry/subjects", "application/json; q=0.5, application/vnd.schemaregistry.v1+json")
                        .headers()
                        .firstValue("content-type"))
                .hasValue(V1);
        assertError(get("/registry/subjects", "text/html"), 406, 406);
    }

    @Test
    void subjectsWithSlashesAndSpacesTravelPercentEncoded() {
        int id = client.register("odd/subject name", GREETING);

        assertThat(client.version("odd/subject name", 1).id()).isEqualTo(id);
        assertThat(client.subjects()).contains("odd/subject name");
    }

    static Stream<Arguments> hostileRequests() {
        String greeting = body(GREETING);
        return Stream.of(
                Arguments.of("GET", "/registry/subjects/nobody-value/versions", null, V1, 404, 40401),
                Arguments.of("GET", "/registry/subjects/nobody-value/versions/1", null, V1, 404, 40401),
                Arguments.of("GET", "/registry/subjects/greetings-value/versions/abc", null, V1, 422, 42202),
                Arguments.of("GET", "/registry/subjects/nobody-value/versions/abc", null, V1, 422, 42202),
                Arguments.of("GET", "/registry/subjects/greetings-value/versions/0", null, V1, 422, 42202),
                Arguments.of("GET", "/registry/subjects/greetings-value/versions/-2", null, V1, 422, 42202),
                Arguments.of("GET", "/registry/subjects/greetings-value/versions/99999999999", null, V1, 422, 42202),
                Arguments.of("GET", "/registry/subjects/greetings-value/versions/3", null, V1, 404, 40402),
                Arguments.of("GET", "/registry/subjects/greetings-value/versions/3/schema", null, V1, 404, 40402),
                Arguments.of("GET", "/registry/schemas/ids/abc", null, V1, 404, 40403),
                Arguments.of("GET", "/registry/schemas/ids/-1", null, V1, 404, 40403),
                Arguments.of("GET", "/registry/schemas/ids/0", null, V1, 404, 40403),
                Arguments.of("GET", "/registry/schemas/ids/123456789", null, V1, 404, 40403),
                Arguments.of("GET", "/registry/schemas/ids/123456789/versions", null, V1, 404, 40403),
                Arguments.of("GET", "/registry/schemas/ids/99999999999999", null, V1, 404, 40403),
                Arguments.of("POST", "/registry/subjects/s-value/versions", "{not json", V1, 400, 400),
                Arguments.of("POST", "/registry/subjects/s-value/versions", "", V1, 400, 400),
                Arguments.of("POST", "/registry/subjects/s-value/versions", greeting + " trailing", V1, 400, 400),
                Arguments.of("POST", "/registry/subjects/s-value/versions", "[]", V1, 422, 42201),
                Arguments.of("POST", "/registry/subjects/s-value/versions", "{}", V1, 422, 42201),
                Arguments.of("POST", "/registry/subjects/s-value/versions", "{\"schema\":5}", V1, 422, 42201),
                Arguments.of("POST", "/registry/subjects/s-value/versions", "{\"schema\":\"\"}", V1, 422, 42201),
                Arguments.of("POST", "/registry/subjects/s-value/versions", "{\"schema\":\"{nope\"}", V1, 422, 42201),
                Arguments.of(
                        "POST",
                        "/registry/subjects/s-value/versions",
                        "{\"schema\":\"{\\\"type\\\":\\\"record\\\"}\"}",
                        V1,
                        422,
                        42201),
                Arguments.of(
                        "POST",
                        "/registry/subjects/s-value/versions",
                        new JsonObject(greeting).put("schemaType", "PROTOBUF").encode(),
                        V1,
                        422,
                        42201),
                Arguments.of(
                        "POST",
                        "/registry/subjects/s-value/versions",
                        new JsonObject(greeting)
                                .put("references", new JsonArray().add(new JsonObject().put("name", "x")))
                                .encode(),
                        V1,
                        422,
                        42201),
                Arguments.of("POST", "/registry/subjects/s-value/versions", greeting, "text/plain", 415, 415),
                Arguments.of("POST", "/registry/subjects/%20/versions", greeting, V1, 422, 42208),
                Arguments.of("POST", "/registry/subjects/a%01b/versions", greeting, V1, 422, 42208),
                Arguments.of("POST", "/registry/subjects/" + "s".repeat(300) + "/versions", greeting, V1, 422, 42208),
                Arguments.of("POST", "/registry/subjects/s-value", "{not json", V1, 400, 400),
                Arguments.of(
                        "POST",
                        "/registry/subjects/s-value/versions",
                        "{\"schema\":\"" + "x".repeat(300_000) + "\"}",
                        V1,
                        413,
                        413),
                Arguments.of("DELETE", "/registry/subjects/greetings-value", null, V1, 405, 405),
                Arguments.of("PUT", "/registry/config", "{\"compatibility\":\"FULL\"}", V1, 405, 405),
                Arguments.of("GET", "/registry/nothing-here", null, V1, 404, 404));
    }

    @ParameterizedTest(name = "{0} {1} -> {4} {5}")
    @MethodSource("hostileRequests")
    void hostileRequestsGetConfluentErrorsAndStoreNothing(
            String method, String path, String body, String contentType, int status, int errorCode) throws Exception {
        List<String> subjects = registry.subjects();

        assertError(send(method, path, body, contentType, V1), status, errorCode);
        assertThat(registry.subjects()).isEqualTo(subjects);
    }

    @Test
    void withAnExternalRegistryEveryRouteNamesIt() throws Exception {
        try (SkeinIngress external = ingress(RegistryApi.external("http://registry.example:8081"))) {
            external.start();
            for (String path : List.of("/registry/subjects", "/registry/schemas/ids/1", "/registry/nope")) {
                HttpResponse<String> response = send(external, "GET", path, null, null, V1);
                assertError(response, 404, 404);
                assertThat(new JsonObject(response.body()).getString("message"))
                        .contains("http://registry.example:8081");
            }
        }
    }

    @Test
    void outsideTheRegistryErrorsKeepSkeinsShape() throws Exception {
        HttpResponse<String> response = get("/v1/nothing");

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(response.body()).getString("error")).contains("/registry");
    }

    @Test
    void acceptHeadersAreNegotiatedByWeight() {
        assertThat(RegistryReply.negotiate(null)).isEqualTo(V1);
        assertThat(RegistryReply.negotiate("application/json;q=0.9, application/vnd.schemaregistry+json"))
                .isEqualTo("application/vnd.schemaregistry+json");
        assertThat(RegistryReply.negotiate("application/json;q=0")).isNull();
        assertThat(RegistryReply.negotiate("application/json;q=x")).isNull();
        assertThat(RegistryReply.negotiate("application/*")).isEqualTo(V1);
    }

    private static void assertError(HttpResponse<String> response, int status, int errorCode) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("content-type")).hasValue(V1);
        JsonObject error = new JsonObject(response.body());
        assertThat(error.fieldNames()).containsExactlyInAnyOrder("error_code", "message");
        assertThat(error.getInteger("error_code")).isEqualTo(errorCode);
        assertThat(error.getString("message")).isNotBlank();
    }

    private static SkeinIngress ingress(RegistryApi api) {
        return SkeinIngress.builder(
                        TestIngressConfig.builder().build(),
                        new RecordingGateway(),
                        new InMemorySessionEvents(),
                        () -> new Health(Map.of()))
                .history(new FakeHistory())
                .registry(api)
                .build();
    }

    private static String base(SkeinIngress on) {
        return "http://127.0.0.1:" + on.port();
    }

    private static String body(Schema schema) {
        return new JsonObject().put("schema", schema.toString()).encode();
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return get(path, V1);
    }

    private static HttpResponse<String> get(String path, String accept) throws Exception {
        return send("GET", path, null, null, accept);
    }

    private static HttpResponse<String> post(String path, String body, String contentType) throws Exception {
        return send("POST", path, body, contentType, V1);
    }

    private static HttpResponse<String> send(String method, String path, String body, String contentType, String accept)
            throws Exception {
        return send(ingress, method, path, body, contentType, accept);
    }

    private static HttpResponse<String> send(
            SkeinIngress on, String method, String path, String body, String contentType, String accept)
            throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base(on) + path))
                .timeout(Duration.ofSeconds(10))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        if (accept != null) {
            request.header("Accept", accept);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Counts the calls that reach the registry, and those made on a Vert.x event loop (there must be none). */
    private static final class OffLoopRegistry implements ListableSchemaRegistry {
        private final ListableSchemaRegistry delegate;
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger onEventLoop = new AtomicInteger();

        OffLoopRegistry(ListableSchemaRegistry delegate) {
            this.delegate = delegate;
        }

        private void called() {
            calls.incrementAndGet();
            if (Context.isOnEventLoopThread()) {
                onEventLoop.incrementAndGet();
            }
        }

        @Override
        public int register(String subject, Schema schema) {
            called();
            return delegate.register(subject, schema);
        }

        @Override
        public Schema schemaById(int id) {
            called();
            return delegate.schemaById(id);
        }

        @Override
        public List<String> subjects() {
            called();
            return delegate.subjects();
        }

        @Override
        public List<Integer> idsOf(String subject) {
            called();
            return delegate.idsOf(subject);
        }
    }
}
