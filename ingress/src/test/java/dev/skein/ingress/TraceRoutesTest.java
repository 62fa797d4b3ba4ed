package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.TraceEntry;
import dev.skein.events.TurnTrace;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code GET /v1/sessions/:id/turns/:turnId/trace} over HTTP: the JSON the UI builds against,
 * derived from the recorded entries; 404 for a turn without a trace (another tenant's included);
 * 400 for ids no turn can have; 401 and 403 as on every session route (TenantIsolationTest lists it).
 */
class TraceRoutesTest {

    private static final long T0 = 1_767_225_600_000L;

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

    @Test
    void aTurnsTraceListsItsEventsItsToolsItsLatencyAndItsTokens() throws Exception {
        HttpResponse<String> response = get("/v1/sessions/s1/turns/t1/trace", node.acmeKey);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonObject trace = new JsonObject(response.body());
        assertThat(trace.fieldNames())
                .contains(
                        "tenant",
                        "sessionId",
                        "turnId",
                        "status",
                        "agent",
                        "requestedAtMs",
                        "completedAtMs",
                        "events",
                        "tools",
                        "latency",
                        "tokens");
        assertThat(trace.getString("tenant")).isEqualTo("acme");
        assertThat(trace.getString("status")).isEqualTo("COMPLETED");
        JsonArray events = trace.getJsonArray("events");
        assertThat(events).hasSize(9);
        JsonObject first = events.getJsonObject(0);
        assertThat(first.fieldNames())
                .contains(
                        "index",
                        "kind",
                        "topic",
                        "partition",
                        "offset",
                        "timeMs",
                        "agent",
                        "step",
                        "stepKind",
                        "detail",
                        "decision");
        assertThat(first.getString("topic")).isEqualTo("skein.turns");
        assertThat(first.getLong("offset")).isEqualTo(4L);
        assertThat(events.getJsonObject(4).getInteger("index")).isEqualTo(4);
        assertThat(events.getJsonObject(5).getJsonObject("detail").getInteger("attempts"))
                .isEqualTo(2);

        JsonArray tools = trace.getJsonArray("tools");
        assertThat(tools).hasSize(2);
        JsonObject cached = tools.getJsonObject(0);
        assertThat(cached.getString("decision")).isEqualTo("cached");
        assertThat(cached.getString("worker")).isEqualTo("w1");
        JsonObject retried = tools.getJsonObject(1);
        assertThat(retried.getString("decision")).isEqualTo("dispatched");
        assertThat(retried.getString("tier")).isEqualTo("small");
        assertThat(retried.getString("worker")).isEqualTo("w2");
        assertThat(retried.getInteger("attempts")).isEqualTo(2);
        assertThat(retried.getString("status")).isEqualTo("OK");
        assertThat(retried.getLong("queueWaitMs")).isEqualTo(15L); // sent at +40, started at +55
        assertThat(retried.getLong("durationMs")).isEqualTo(30L);

        // Invoked +10, taken +12, step +30 (taken +33); sent +40, started +55, done +85 (taken +90);
        // invoked +90, taken +91, answer +100 (taken +104); requested at 0, taken at +2, completed +104.
        JsonObject latency = trace.getJsonObject("latency");
        assertThat(latency.getLong("totalMs")).isEqualTo(104L);
        assertThat(latency.getLong("agentMs")).isEqualTo(18L + 9L);
        assertThat(latency.getLong("toolMs")).isEqualTo(30L);
        assertThat(latency.getLong("queueWaitMs")).isEqualTo(8L + 2L + 15L + 1L);
        assertThat(latency.getLong("commitWaitMs")).isEqualTo(2L + 3L + 5L + 4L);
        assertThat(latency.getLong("otherMs"))
                .isEqualTo(104L - 27L - 30L - 26L - 14L - latency.getLong("approvalWaitMs"));
        assertThat(trace.getJsonObject("tokens").getLong("input")).isEqualTo(20L);
        assertThat(trace.getJsonObject("tokens").getLong("output")).isEqualTo(10L);
    }

    @Test
    void anUnknownTurnIs404WithJson() throws Exception {
        HttpResponse<String> response = get("/v1/sessions/s1/turns/t9/trace", node.acmeKey);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(response.body()).getString("error"))
                .startsWith("turn t9 of session acme/s1 has no trace");
    }

    @Test
    void anotherTenantsTurnDoesNotExistForTheCaller() throws Exception {
        HttpResponse<String> response = get("/v1/sessions/s1/turns/t1/trace", node.globexKey);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).doesNotContain(AuthedIngress.ACME_SECRET).contains("globex/s1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"t%2A1", "a%2Fb", "t%201", "%00", "t%C3%A9"})
    void aTurnIdNoTurnCanHaveIs400WithJson(String turnId) throws Exception {
        HttpResponse<String> response = get("/v1/sessions/s1/turns/" + turnId + "/trace", node.acmeKey);

        assertThat(response.statusCode()).as(turnId).isEqualTo(400);
        assertThat(new JsonObject(response.body()).getString("error")).contains("turnId");
    }

    @Test
    void aTooLongTurnIdIs400AndABadSessionIdToo() throws Exception {
        assertThat(get("/v1/sessions/s1/turns/" + "t".repeat(129) + "/trace", node.acmeKey)
                        .statusCode())
                .isEqualTo(400);
        HttpResponse<String> badSession = get("/v1/sessions/s%2A1/turns/t1/trace", node.acmeKey);
        assertThat(badSession.statusCode()).isEqualTo(400);
        assertThat(new JsonObject(badSession.body()).getString("error")).isNotBlank();
    }

    @Test
    void aReaderMayReadATraceAndOtherMethodsAreRefused() throws Exception {
        assertThat(get("/v1/sessions/s1/turns/t1/trace", node.acmeReaderKey).statusCode())
                .isEqualTo(200);
        HttpResponse<String> post =
                node.send("POST", "/v1/sessions/s1/turns/t1/trace", "{}", "Authorization", "Bearer " + node.acmeKey);
        assertThat(post.statusCode()).isBetween(400, 499);
        assertThat(new JsonObject(post.body()).getString("error")).isNotBlank();
    }

    private static HttpResponse<String> get(String path, String key) throws Exception {
        return node.send("GET", path, null, "Authorization", "Bearer " + key);
    }

    /** A turn of two calls, one cached and one retried, as the topology records it. */
    static TurnTrace trace(String secret) {
        List<TraceEntry> entries = new ArrayList<>();
        entries.add(entry("turn-requested", "skein.turns", 4L, 2)
                .setProducedAtMs(T0)
                .setDecision("turn requested " + secret)
                .build());
        entries.add(entry("agent-invoked", "skein.agent-requests", 7L, 10)
                .setAgent("demo")
                .setStep(0)
                .build());
        entries.add(entry("agent-step", "skein.agent-steps", 7L, 33)
                .setStep(0)
                .setStepKind("TOOL_CALLS")
                .setStartedAtMs(T0 + 12)
                .setProducedAtMs(T0 + 30)
                .setInputTokens(20L)
                .setOutputTokens(10L)
                .build());
        entries.add(entry("tool-call", null, null, 33)
                .setCallId("a")
                .setTool("square")
                .setStep(0)
                .setOutcome("cached")
                .setWorker("w1")
                .build());
        entries.add(entry("tool-requested", "skein.tools.small", 3L, 40)
                .setCallId("b")
                .setTool("calculator")
                .setStep(0)
                .setOutcome("dispatched")
                .setTier("small")
                .build());
        entries.add(entry("tool-result", "skein.tool-results", 5L, 90)
                .setCallId("b")
                .setTool("calculator")
                .setStep(0)
                .setWorker("w2")
                .setAttempts(2)
                .setStatus("OK")
                .setStartedAtMs(T0 + 55)
                .setDurationMs(30L)
                .setProducedAtMs(T0 + 85)
                .build());
        entries.add(entry("agent-invoked", "skein.agent-requests", 8L, 90)
                .setAgent("demo")
                .setStep(1)
                .build());
        entries.add(entry("agent-step", "skein.agent-steps", 8L, 104)
                .setStep(1)
                .setStepKind("FINAL")
                .setStartedAtMs(T0 + 91)
                .setProducedAtMs(T0 + 100)
                .build());
        entries.add(entry("turn-completed", "skein.responses", null, 104)
                .setStatus("COMPLETED")
                .build());
        return TurnTrace.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setAgent("demo")
                .setStatus("COMPLETED")
                .setRequestedAtMs(T0)
                .setCompletedAtMs(T0 + 104)
                .setCreatedAtMs(T0 + 2)
                .setEntries(entries)
                .build();
    }

    private static TraceEntry.Builder entry(String kind, String topic, Long offset, long atMs) {
        return TraceEntry.newBuilder()
                .setKind(kind)
                .setTopic(topic)
                .setPartition(topic == null ? null : 0)
                .setOffset(offset)
                .setOffsetExact(offset != null)
                .setTimeMs(T0 + atMs)
                .setDecision(kind)
                .setDetail(new LinkedHashMap<>());
    }
}
