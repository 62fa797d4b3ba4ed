package dev.skein.adapters.a2a;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The adapter against A2A 1.0 peers: a local server answering with the wire shapes of the 1.0
 * specification (a2aproject/A2A docs/specification.md, sections 5.5, 8, 9 and 11; the proto's
 * field names in camelCase, enum values by their proto names, no {@code kind}).
 */
class A2aAgentV1Test {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String ITINERARY = "Take the ICE 9553 at 09:55 from Paris Est.";
    private static final String TASK = "task-7f1c";

    private static final String CARD_JSONRPC = """
            {"name": "Travel Planner", "description": "Plans trips.", "version": "2.0.0",
             "supportedInterfaces": [
               {"url": "{{BASE}}/a2a/v1", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"},
               {"url": "{{BASE}}/a2a/rest", "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0"}],
             "capabilities": {"streaming": %s},
             "defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"], "skills": []}
            """;
    private static final String CARD_REST = """
            {"name": "Travel Planner", "description": "Plans trips.", "version": "2.0.0",
             "supportedInterfaces": [
               {"url": "{{BASE}}/a2a/grpc", "protocolBinding": "GRPC", "protocolVersion": "1.0"},
               {"url": "{{BASE}}/a2a/rest", "protocolBinding": "HTTP+JSON", "protocolVersion": "1.0", "tenant": "acme"},
               {"url": "{{BASE}}/a2a/v1", "protocolBinding": "JSONRPC", "protocolVersion": "1.0"}],
             "capabilities": {"streaming": false},
             "defaultInputModes": ["text/plain"], "defaultOutputModes": ["text/plain"], "skills": []}
            """;
    private static final String COMPLETED_TASK = """
            {"id": "task-7f1c", "contextId": "c", "status": {"state": "TASK_STATE_COMPLETED"},
             "artifacts": [{"artifactId": "a1", "parts": [{"text": "Take the ICE 9553 at 09:55 from Paris Est."}]}]}
            """;
    private static final String INPUT_REQUIRED_TASK = """
            {"id": "task-7f1c", "contextId": "c", "status": {"state": "TASK_STATE_INPUT_REQUIRED",
              "message": {"messageId": "m9", "role": "ROLE_AGENT", "parts": [{"text": "Which Friday?"}]}}}
            """;

    private FakeA2aServer server;
    private final List<String> deltas = new ArrayList<>();

    @BeforeEach
    void startServer() throws IOException {
        server = new FakeA2aServer();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    @Test
    void speaksJsonRpc10WhenTheCardPrefersIt() throws Exception {
        server.json(200, CARD_JSONRPC.formatted("false")).json(200, rpcResult("{\"task\": " + COMPLETED_TASK + "}"));

        AgentReply reply = agent().decide(invocation(), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer(ITINERARY));
        FakeA2aServer.Request sent = server.requests().get(1);
        assertThat(sent.path()).isEqualTo("/a2a/v1");
        assertThat(sent.headers()).containsEntry("a2a-version", "1.0");
        JsonNode request = JSON.readTree(sent.body());
        assertThat(request.path("method").asText()).isEqualTo("SendMessage");
        JsonNode message = request.path("params").path("message");
        assertThat(message.path("role").asText()).isEqualTo("ROLE_USER");
        assertThat(message.path("parts").get(0).path("text").asText())
                .isEqualTo("Fastest way from Paris to Berlin on Friday?");
        // No kind discriminators anywhere in 1.0; blocking became returnImmediately.
        assertThat(sent.body()).doesNotContain("\"kind\"");
        assertThat(request.path("params")
                        .path("configuration")
                        .path("returnImmediately")
                        .asBoolean(true))
                .isFalse();
        assertThat(request.path("params").path("configuration").has("blocking")).isFalse();
    }

    @Test
    void streamsStatusAndArtifactUpdatesOf10() throws Exception {
        server.json(200, CARD_JSONRPC.formatted("true"))
                .events(event("{\"task\": {\"id\": \"task-7f1c\", \"contextId\": \"c\", \"status\": {\"state\":"
                                + " \"TASK_STATE_SUBMITTED\"}}}")
                        + event("{\"artifactUpdate\": {\"taskId\": \"task-7f1c\", \"contextId\": \"c\", \"artifact\":"
                                + " {\"artifactId\": \"a1\", \"parts\": [{\"text\": \"Take the ICE 9553 \"}]}}}")
                        + event("{\"artifactUpdate\": {\"taskId\": \"task-7f1c\", \"contextId\": \"c\", \"append\":"
                                + " true, \"artifact\": {\"artifactId\": \"a1\", \"parts\": [{\"text\": \"at 09:55 from"
                                + " Paris Est.\"}]}}}")
                        + event("{\"statusUpdate\": {\"taskId\": \"task-7f1c\", \"contextId\": \"c\", \"status\":"
                                + " {\"state\": \"TASK_STATE_COMPLETED\"}}}"));

        AgentReply reply = agent().decide(invocation(), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer(ITINERARY));
        assertThat(deltas).containsExactly("Take the ICE 9553 ", "at 09:55 from Paris Est.");
        FakeA2aServer.Request sent = server.requests().get(1);
        assertThat(JSON.readTree(sent.body()).path("method").asText()).isEqualTo("SendStreamingMessage");
        assertThat(sent.headers()).containsEntry("accept", "text/event-stream");
    }

    @Test
    void inputRequiredContinuesTheTaskAndATaskTheAgentLostBecomesANewOne() throws Exception {
        server.json(200, CARD_JSONRPC.formatted("false"))
                .json(200, rpcResult("{\"task\": " + INPUT_REQUIRED_TASK + "}"));
        AgentAdapter agent = agent();
        AgentReply.Answer question = (AgentReply.Answer) agent.decide(invocation(), deltas::add);
        assertThat(question)
                .isEqualTo(AgentReply.Answer.awaitingInput(TaskReplies.NEEDS_INPUT + "Which Friday?", TASK));

        server.json(
                        200,
                        "{\"jsonrpc\": \"2.0\", \"id\": \"x\", \"error\": {\"code\": -32001, \"message\": \"Task not"
                                + " found\"}}")
                .json(200, rpcResult("{\"task\": " + COMPLETED_TASK + "}"));
        AgentReply answer = agent.decide(reply(question), deltas::add);

        assertThat(answer).isEqualTo(new AgentReply.Answer(ITINERARY));
        List<FakeA2aServer.Request> requests = server.requests();
        JsonNode continued =
                JSON.readTree(requests.get(2).body()).path("params").path("message");
        assertThat(continued.path("taskId").asText()).isEqualTo(TASK);
        JsonNode fresh = JSON.readTree(requests.get(3).body()).path("params").path("message");
        assertThat(fresh.has("taskId")).isFalse();
    }

    @Test
    void speaksHttpJsonWhenItIsTheFirstInterfaceItKnowsWithItsTenant() throws Exception {
        server.json(200, CARD_REST)
                .json(
                        200,
                        "{\"task\": {\"id\": \"task-7f1c\", \"contextId\": \"c\", \"status\": {\"state\":"
                                + " \"TASK_STATE_WORKING\"}}}")
                .json(200, COMPLETED_TASK);

        AgentReply reply = agent(Map.of("blocking", "false")).decide(invocation(), deltas::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer(ITINERARY));
        List<FakeA2aServer.Request> requests = server.requests();
        assertThat(requests)
                .extracting(r -> r.method() + " " + r.path())
                .containsExactly(
                        "GET /.well-known/agent-card.json",
                        "POST /a2a/rest/acme/message:send",
                        "GET /a2a/rest/acme/tasks/task-7f1c");
        assertThat(requests.get(1).headers())
                .containsEntry("content-type", "application/a2a+json")
                .containsEntry("a2a-version", "1.0");
        JsonNode body = JSON.readTree(requests.get(1).body());
        assertThat(body.path("message").path("role").asText()).isEqualTo("ROLE_USER");
        assertThat(body.path("configuration").path("returnImmediately").asBoolean())
                .isTrue();
    }

    @Test
    void anHttpJsonErrorIsReadFromItsErrorInfo() throws Exception {
        server.json(200, CARD_REST).json(400, """
                        {"error": {"code": 400, "status": "FAILED_PRECONDITION", "message": "no text parts",
                          "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo",
                                       "reason": "CONTENT_TYPE_NOT_SUPPORTED", "domain": "a2a-protocol.org"}]}}
                        """);

        AgentReply reply = agent().decide(invocation(), deltas::add);

        assertThat(reply).isInstanceOf(AgentReply.Failure.class);
        assertThat(((AgentReply.Failure) reply).message())
                .contains("400")
                .contains("CONTENT_TYPE_NOT_SUPPORTED")
                .contains("no text parts");
    }

    @Test
    void aCardThatListsOnly03InterfacesIsSpokenTo03() throws Exception {
        server.json(200, """
                        {"name": "Old", "supportedInterfaces": [
                          {"url": "{{BASE}}/a2a/v1", "protocolBinding": "JSONRPC", "protocolVersion": "0.3"}],
                         "capabilities": {"streaming": false}}
                        """).json(200, FakeA2aServer.fixture("response-completed.json"));

        agent().decide(invocation(), deltas::add);

        FakeA2aServer.Request sent = server.requests().get(1);
        assertThat(JSON.readTree(sent.body()).path("method").asText()).isEqualTo("message/send");
        assertThat(sent.headers()).doesNotContainKey("a2a-version");
    }

    @Test
    void aCardWithNoInterfaceSkeinSpeaksSaysWhatItOffers() throws Exception {
        server.json(200, """
                {"name": "Grpc only", "supportedInterfaces": [
                  {"url": "{{BASE}}/grpc", "protocolBinding": "GRPC", "protocolVersion": "1.0"}]}
                """);

        AgentReply reply = agent().decide(invocation(), deltas::add);

        assertThat(((AgentReply.Failure) reply).message()).contains("GRPC 1.0").contains("JSONRPC 1.0");
    }

    private static String rpcResult(String result) {
        return "{\"jsonrpc\": \"2.0\", \"id\": \"x\", \"result\": " + result + "}";
    }

    private static String event(String result) {
        return "data: " + rpcResult(result).replace("\n", " ") + "\n\n";
    }

    private AgentAdapter agent() {
        return agent(Map.of());
    }

    private AgentAdapter agent(Map<String, String> extra) {
        Map<String, String> options = new HashMap<>(Map.of("base-url", server.base()));
        options.putAll(extra);
        return new A2aAgentFactory()
                .create(new AgentSpec("travel", "a2a", options, "", Duration.ofSeconds(5), List.of()), Map.of());
    }

    private static AgentInvocation invocation() {
        return AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("s-42")
                .setTurnId("t-3")
                .setStep(1)
                .setAttempt(1)
                .setAgent("travel")
                .setMessages(List.of(message(5, Role.USER, "Fastest way from Paris to Berlin on Friday?")))
                .setTools(List.of())
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .build();
    }

    private static AgentInvocation reply(AgentReply.Answer answer) {
        ChatMessage asked = message(6, Role.ASSISTANT, answer.content());
        asked.setAgent("travel");
        asked.setContinuation(answer.continuation());
        asked.setAwaitingInput(answer.awaitingInput());
        List<ChatMessage> messages = new ArrayList<>(invocation().getMessages());
        messages.add(asked);
        messages.add(message(7, Role.USER, "This Friday."));
        AgentInvocation next = invocation();
        next.setTurnId("t-4");
        next.setMessages(messages);
        return next;
    }

    private static ChatMessage message(long sequence, Role role, String text) {
        return ChatMessage.newBuilder()
                .setSequence(sequence)
                .setRole(role)
                .setContent(text)
                .setToolCalls(List.of())
                .setTurnId("t-3")
                .setTimestampMs(0)
                .build();
    }
}
