package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** A task read back from a session's history (the JSON of GET /v1/sessions/:id/history). */
class A2aJsonTest {

    private static final A2aTaskId TASK = new A2aTaskId("trip", "root");

    @Test
    void anAgentThatAskedThenAnsweredIsOneTaskAcrossTwoTurns() {
        JsonArray messages = new JsonArray()
                .add(message(0, "user", "book a train", "root"))
                .add(message(1, "assistant", "which day?", "root").put("awaitingInput", true))
                .add(message(2, "user", "friday", "root.ab12cd34"))
                .add(message(3, "assistant", "booked for friday", "root.ab12cd34"))
                .add(message(4, "user", "another task", "other"))
                .add(message(5, "assistant", "unrelated", "other"));

        JsonObject asked = A2aJson.fromHistory(
                TASK, history(new JsonArray(messages.getList().subList(0, 2)), null));
        assertThat(asked.getJsonObject("status").getString("state")).isEqualTo("TASK_STATE_INPUT_REQUIRED");
        assertThat(asked.getJsonObject("status").getJsonObject("message").encode())
                .contains("which day?");

        JsonObject done = A2aJson.fromHistory(TASK, history(messages, null));
        assertThat(done.getJsonObject("status").getString("state")).isEqualTo("TASK_STATE_COMPLETED");
        assertThat(done.getJsonArray("artifacts").getJsonObject(0).encode()).contains("booked for friday");
        assertThat(done.getJsonArray("history").size()).isEqualTo(4);
        assertThat(done.encode()).doesNotContain("unrelated");
    }

    @Test
    void failureAndCancellationMarkersEndTheTask() {
        JsonObject failed = A2aJson.fromHistory(
                TASK,
                history(
                        new JsonArray()
                                .add(message(0, "user", "hi", "root"))
                                .add(message(1, "assistant", "[turn failed: no agent]", "root")
                                        .put("outcome", "FAILED")),
                        null));
        assertThat(failed.getJsonObject("status").getString("state")).isEqualTo("TASK_STATE_FAILED");
        assertThat(failed.containsKey("artifacts")).isFalse();
        JsonObject cancelled = A2aJson.fromHistory(
                TASK,
                history(
                        new JsonArray()
                                .add(message(0, "user", "hi", "root"))
                                .add(message(1, "assistant", "[turn cancelled: by you]", "root")
                                        .put("outcome", "CANCELLED")),
                        null));
        assertThat(cancelled.getJsonObject("status").getString("state")).isEqualTo("TASK_STATE_CANCELED");
    }

    @Test
    void aRunningTurnIsWorkingOrWaitsForApproval() {
        JsonArray messages = new JsonArray().add(message(0, "user", "primes below 10", "root"));
        JsonObject working = A2aJson.fromHistory(TASK, history(messages, "root"));
        assertThat(working.getJsonObject("status").getString("state")).isEqualTo("TASK_STATE_WORKING");

        JsonObject held = history(messages, "root")
                .put(
                        "pendingApprovals",
                        new JsonArray()
                                .add(new JsonObject().put("callId", "c-1").put("tool", "count_primes")));
        JsonObject waiting = A2aJson.fromHistory(TASK, held);
        assertThat(waiting.getJsonObject("status").getString("state")).isEqualTo("TASK_STATE_INPUT_REQUIRED");
        assertThat(waiting.getJsonObject("status").getJsonObject("message").encode())
                .contains("count_primes")
                .contains("c-1")
                .contains("/v1/sessions/trip/tool-calls/{callId}/approve");

        assertThat(A2aJson.fromHistory(new A2aTaskId("trip", "nothing"), history(messages, "root")))
                .isNull();
    }

    @Test
    void taskIdsNameTheirSessionAndTurn() {
        assertThat(A2aTaskId.parse("trip~root")).isEqualTo(TASK);
        assertThat(TASK.owns("root")).isTrue();
        assertThat(TASK.owns(TASK.continuationTurnId())).isTrue();
        assertThat(TASK.owns("rooted")).isFalse();
        for (String bad : new String[] {"", "~", "trip~", "~root", "trip~root.1", "../x~y", "a~b~c"}) {
            assertThatThrownBy(() -> A2aTaskId.parse(bad)).as(bad).isInstanceOf(A2aError.class);
        }
    }

    private static JsonObject history(JsonArray messages, String activeTurnId) {
        return new JsonObject()
                .put("session", "default/trip")
                .put("activeTurnId", activeTurnId)
                .put("pendingApprovals", new JsonArray())
                .put("messages", messages);
    }

    private static JsonObject message(long sequence, String role, String content, String turnId) {
        return new JsonObject()
                .put("sequence", sequence)
                .put("role", role)
                .put("content", content)
                .put("toolCalls", new JsonArray())
                .put("turnId", turnId)
                .put("awaitingInput", false)
                .put("outcome", null)
                .put("timestamp", "2026-12-01T12:00:00Z");
    }
}
