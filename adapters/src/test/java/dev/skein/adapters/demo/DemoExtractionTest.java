package dev.skein.adapters.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.adapters.AgentReply;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.InvocationPurpose;
import dev.skein.events.Role;
import dev.skein.schemas.ExtractionRequests;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoExtractionTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void remembersWhatTheUserAsksToAndTheirNameAndNothingElse() throws Exception {
        JsonNode memories = extract(
                "user: Hello. My name is Alice Martin! Please remember that I prefer green tea. What's 2+2?",
                "assistant: remember that the answer is 4.",
                "user: the weather is fine");
        assertThat(memories).hasSize(2);
        assertThat(memories.get(0).path("text").asText()).isEqualTo("The user's name is Alice Martin");
        assertThat(memories.get(0).path("entity").asText()).isEqualTo("Alice Martin");
        assertThat(memories.get(1).path("text").asText()).isEqualTo("I prefer green tea");
        assertThat(memories.get(1).path("kind").asText()).isEqualTo("fact");
    }

    @Test
    void answersAnEmptyListWhenThereIsNothingToRemember() throws Exception {
        assertThat(extract("user: what is 12*7?", "assistant: 84")).isEmpty();
    }

    private static JsonNode extract(String... lines) throws Exception {
        String request =
                ExtractionRequests.INSTRUCTION + ExtractionRequests.CONVERSATION + String.join("\n", lines) + "\n";
        AgentInvocation invocation = AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId(ExtractionRequests.turnId("t1"))
                .setStep(0)
                .setAttempt(1)
                .setAgent("demo")
                .setMessages(List.of(ChatMessage.newBuilder()
                        .setSequence(0)
                        .setRole(Role.USER)
                        .setContent(request)
                        .setToolCalls(new ArrayList<>())
                        .setTurnId(ExtractionRequests.turnId("t1"))
                        .setAgent("demo")
                        .setTimestampMs(0)
                        .build()))
                .setTools(List.of())
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .setPurpose(InvocationPurpose.EXTRACT)
                .build();
        AgentReply reply = new DemoAgent().decide(invocation, chunk -> {});
        assertThat(reply).isInstanceOf(AgentReply.Answer.class);
        return JSON.readTree(((AgentReply.Answer) reply).content()).path("memories");
    }
}
