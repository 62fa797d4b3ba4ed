package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentDelta;
import dev.skein.events.ChatMessage;
import dev.skein.events.DeltaKind;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The SSE routes over a real HTTP server, without Kafka: the stream's head and frames, a turn's
 * stream ending at its completion, tenants kept apart, refusals before the stream starts, and a
 * client that reads nothing closed with a reason once its backlog is full.
 */
class SseRoutesTest {

    private static final RecordingGateway gateway = new RecordingGateway();
    private static final InMemorySessionEvents events = new InMemorySessionEvents();
    private static SkeinIngress ingress;
    private static HttpClient http;
    private static int port;

    @BeforeAll
    static void start() {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        ingress = SkeinIngress.builder(TestIngressConfig.builder().build(), gateway, events, () -> new Health(Map.of()))
                .history(new FakeHistory())
                .build();
        port = ingress.start();
        http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    }

    @AfterAll
    static void stop() {
        http.close();
        ingress.close();
    }

    @BeforeEach
    void reset() {
        events.reset();
        gateway.reset();
    }

    @Test
    void aSessionStreamSendsItsHeadThenEachEventWithItsPositionAsId() throws Exception {
        HttpResponse<InputStream> response = open("/v1/sessions/s1/events", "acme", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValue("text/event-stream; charset=utf-8");
        assertThat(response.headers().firstValue("cache-control")).hasValue("no-cache");
        BufferedReader reader = reader(response);
        assertThat(reader.readLine()).isEqualTo("retry: 1000");
        awaitSubscribers(new SessionAddress("acme", "s1"), 1);

        events.publish(delta("other", "s1", "t1", "not yours"));
        events.publish(delta("acme", "s1", "t1", "Hel"));
        events.publish(completed("acme", "s1", "t1"));

        List<String> lines = dataLines(reader, 2);
        assertThat(lines.get(0)).matches("id: 0-\\d+");
        JsonObject delta = new JsonObject(lines.get(1).substring("data: ".length()));
        assertThat(delta.getString("type")).isEqualTo("delta");
        assertThat(delta.getString("text")).isEqualTo("Hel");
        assertThat(delta.getString("position")).isEqualTo(lines.get(0).substring(4));
        JsonObject completion = new JsonObject(lines.get(3).substring("data: ".length()));
        assertThat(completion.getString("type")).isEqualTo("completed");
        assertThat(completion.getString("answer")).isEqualTo("done");
        response.body().close();
    }

    @Test
    void aTurnsStreamCarriesOnlyThatTurnAndEndsAfterItsCompletion() throws Exception {
        HttpResponse<InputStream> response = open("/v1/sessions/s2/turns/t2/events", "acme", null);
        BufferedReader reader = reader(response);
        assertThat(reader.readLine()).isEqualTo("retry: 1000");
        awaitSubscribers(new SessionAddress("acme", "s2"), 1);

        events.publish(delta("acme", "s2", "t1", "another turn"));
        events.publish(delta("acme", "s2", "t2", "mine"));
        events.publish(completed("acme", "s2", "t1"));
        events.publish(completed("acme", "s2", "t2"));

        List<String> data = new ArrayList<>();
        String line;
        while ((line = reader.readLine()) != null) {
            if (line.startsWith("data: ")) {
                data.add(new JsonObject(line.substring(6)).getString("type") + ":"
                        + new JsonObject(line.substring(6)).getString("turnId"));
            }
        }
        assertThat(data).containsExactly("delta:t2", "completed:t2");
        assertThat(events.subscribers(new SessionAddress("acme", "s2"))).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"x", "1-", "-1", "1--2", "1-2-3", "1.5-2", "1_2", "9999999-1", "1-9999999999999999999"})
    void aMalformedLastEventIdIsA400WithJsonAndNoStream(String bad) throws Exception {
        HttpResponse<String> response = get("/v1/sessions/s3/events", "Last-Event-ID", bad);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
        assertThat(new JsonObject(response.body()).getString("error")).contains("is not a stream position");
        assertThat(events.subscribers(new SessionAddress("default", "s3"))).isZero();
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"after=", "after=abc", "after=1-2&after=1-3", "after=9999999999999999999999999999999999999999"})
    void aBadAfterParameterIsA400(String query) throws Exception {
        HttpResponse<String> response = get("/v1/sessions/s3/events?" + query, null, null);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(response.body()).getString("error")).containsAnyOf("stream position", "at most once");
    }

    @Test
    void aBadTurnIdOrAWrongMethodIsRefusedWithJson() throws Exception {
        HttpResponse<String> badTurn = get(
                "/v1/sessions/s3/turns/" + URLEncoder.encode("a b", StandardCharsets.UTF_8) + "/events", null, null);
        assertThat(badTurn.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(badTurn.body()).getString("error")).contains("turnId");
        HttpResponse<String> post = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sessions/s3/events"))
                        .POST(HttpRequest.BodyPublishers.ofString("{}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(new JsonObject(post.body()).getString("error")).contains("not allowed");
    }

    @Test
    void aClientThatReadsNothingIsClosedWithAReasonOnceItsBacklogIsFull() throws Exception {
        HttpResponse<InputStream> response = open("/v1/sessions/slow/events", "acme", null);
        awaitSubscribers(new SessionAddress("acme", "slow"), 1);
        String big = "x".repeat(64 * 1024);
        // Far more than the socket buffers hold, so that writes wait and the backlog (100) fills.
        for (int i = 0; i < 2_000 && events.subscribers(new SessionAddress("acme", "slow")) > 0; i++) {
            events.publish(delta("acme", "slow", "t1", big));
        }
        BufferedReader reader = reader(response);
        String line;
        String last = null;
        while ((line = reader.readLine()) != null) {
            if (line.startsWith("event:") || line.startsWith("data: {\"type\":\"error\"")) {
                last = (last == null ? "" : last) + line;
            }
        }
        assertThat(last)
                .isEqualTo("event: error" + "data: {\"type\":\"error\",\"error\":\"too slow: more than the"
                        + " stream's bound of events were waiting for you; reconnect with Last-Event-ID to resume\"}");
        assertThat(events.subscribers(new SessionAddress("acme", "slow"))).isZero();
    }

    private static void awaitSubscribers(SessionAddress address, int count) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (events.subscribers(address) < count && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(events.subscribers(address)).isEqualTo(count);
    }

    /** The next {@code count} events' id and data lines, in order. */
    private static List<String> dataLines(BufferedReader reader, int count) throws Exception {
        List<String> lines = new ArrayList<>();
        String line;
        while (lines.size() < 2 * count && (line = reader.readLine()) != null) {
            if (line.startsWith("id: ") || line.startsWith("data: ")) {
                lines.add(line);
            }
        }
        return lines;
    }

    private static HttpResponse<InputStream> open(String path, String tenant, String lastEventId) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header(IngressConfig.TENANT_HEADER, tenant);
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
    }

    private static HttpResponse<String> get(String path, String header, String value) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
        if (header != null) {
            request.header(header, value);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static BufferedReader reader(HttpResponse<InputStream> response) {
        return new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8));
    }

    private static AgentDelta delta(String tenant, String session, String turnId, String text) {
        return AgentDelta.newBuilder()
                .setTenant(tenant)
                .setSessionId(session)
                .setTurnId(turnId)
                .setStep(0)
                .setKind(DeltaKind.TEXT)
                .setText(text)
                .setTimestampMs(1)
                .build();
    }

    private static TurnCompleted completed(String tenant, String session, String turnId) {
        return TurnCompleted.newBuilder()
                .setTenant(tenant)
                .setSessionId(session)
                .setTurnId(turnId)
                .setStatus(TurnStatus.COMPLETED)
                .setAnswer("done")
                .setCompletedAtMs(2)
                .build();
    }
}
