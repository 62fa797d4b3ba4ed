package dev.skein.adapters.demo;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.adapters.AgentReply;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.InvocationPurpose;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.Role;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolStatus;
import dev.skein.schemas.SummaryRequests;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoAgentTest {

    private final DemoAgent agent = new DemoAgent();
    private final List<String> streamed = new ArrayList<>();

    @Test
    void asksTheCalculatorForArithmetic() {
        AgentReply reply =
                agent.decide(invocation(List.of(user("what is 12*7?")), "calculator", "count_primes"), streamed::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.ToolCalls(
                        null, List.of(new AgentReply.Call(null, "calculator", "{\"expression\":\"12*7\"}"))));
        assertThat(streamed).isEmpty();
    }

    @Test
    void useToolCallsAnyOfferedToolAndAnswersWithItsOutputAsItIs() {
        assertThat(agent.decide(
                        invocation(
                                List.of(user("use tool local_echo {\"text\": \"1+1\"}")), "calculator", "local_echo"),
                        streamed::add))
                .isEqualTo(new AgentReply.ToolCalls(
                        null, List.of(new AgentReply.Call(null, "local_echo", "{\"text\": \"1+1\"}"))));
        assertThat(agent.decide(invocation(List.of(user("use tool noop")), "noop"), streamed::add))
                .isEqualTo(new AgentReply.ToolCalls(null, List.of(new AgentReply.Call(null, "noop", "{}"))));
        // A tool that is not offered is not called: the message is read by the other rules.
        assertThat(agent.decide(invocation(List.of(user("use tool weather {}")), "calculator"), streamed::add))
                .isInstanceOf(AgentReply.Answer.class);

        List<ChatMessage> answered = List.of(
                user("use tool calculator {\"expression\":\"6*7\"}"),
                assistantCalling("c1", "calculator", "{\"expression\":\"6*7\"}"),
                toolResult("c1", "calculator", ToolStatus.OK, "42"));
        assertThat(agent.decide(invocation(answered, "calculator"), streamed::add))
                .isEqualTo(new AgentReply.Answer("[demo agent] 42"));
        List<ChatMessage> failed = List.of(
                user("use tool calculator {\"expression\":\"6/\"}"),
                assistantCalling("c1", "calculator", "{\"expression\":\"6/\"}"),
                toolResult("c1", "calculator", ToolStatus.ERROR, "bad expression"));
        assertThat(((AgentReply.Answer) agent.decide(invocation(failed, "calculator"), streamed::add)).content())
                .startsWith("[demo agent] The tool calculator failed: bad expression");
    }

    @Test
    void asksCountPrimesForPrimeQuestions() {
        AgentReply reply = agent.decide(
                invocation(List.of(user("How many primes below 100,000?")), "calculator", "count_primes"),
                streamed::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.ToolCalls(
                        null, List.of(new AgentReply.Call(null, "count_primes", "{\"limit\":100000}"))));
    }

    @Test
    void asksMatrixMultiplyForMatricesAndGpuInfoForGpus() {
        String[] tools = {"calculator", "count_primes", "matrix_multiply", "gpu_info"};

        assertThat(agent.decide(invocation(List.of(user("multiply two 500x500 matrices")), tools), streamed::add))
                .isEqualTo(new AgentReply.ToolCalls(
                        null, List.of(new AgentReply.Call(null, "matrix_multiply", "{\"size\":500}"))));
        assertThat(agent.decide(invocation(List.of(user("Which GPU do you have?")), tools), streamed::add))
                .isEqualTo(new AgentReply.ToolCalls(null, List.of(new AgentReply.Call(null, "gpu_info", "{}"))));
        // Without the tool (no worker announced it), the question gets a plain answer.
        assertThat(agent.decide(invocation(List.of(user("Which GPU do you have?")), "calculator"), streamed::add))
                .isInstanceOf(AgentReply.Answer.class);
    }

    @Test
    void answersFromATierToolWithItsOwnSentence() {
        List<ChatMessage> history = List.of(
                user("multiply two 3x3 matrices"),
                assistantCalling("c1", "matrix_multiply", "{\"size\":3}"),
                toolResult("c1", "matrix_multiply", ToolStatus.OK, "The trace of the product is 0.5."));

        AgentReply reply = agent.decide(invocation(history, "matrix_multiply"), streamed::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer("[demo agent] The trace of the product is 0.5."));
    }

    @Test
    void answersFromACalculatorResult() {
        List<ChatMessage> history = List.of(
                user("what is 12*7?"),
                assistantCalling("c1", "calculator", "{\"expression\":\"12*7\"}"),
                toolResult("c1", "calculator", ToolStatus.OK, "84"));

        AgentReply reply = agent.decide(invocation(history, "calculator"), streamed::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer("[demo agent] 12*7 = 84."));
        assertThat(String.join("", streamed)).isEqualTo("[demo agent] 12*7 = 84.");
        assertThat(streamed).hasSizeGreaterThan(1);
    }

    @Test
    void answersFromOtherToolResultsWithTheirOutput() {
        List<ChatMessage> history = List.of(
                user("look it up"),
                assistantCalling("c1", "search", "{\"q\":\"kafka\"}"),
                toolResult("c1", "search", ToolStatus.OK, "Kafka is a log"));

        AgentReply reply = agent.decide(invocation(history, "search"), streamed::add);

        assertThat(reply).isEqualTo(new AgentReply.Answer("[demo agent] search returned: Kafka is a log."));
    }

    @Test
    void saysWhyAToolFailed() {
        List<ChatMessage> history = List.of(
                user("what is 1/0"),
                assistantCalling("c1", "calculator", "{\"expression\":\"1/0\"}"),
                toolResult("c1", "calculator", ToolStatus.ERROR, "division by zero in '1/0'"));

        AgentReply reply = agent.decide(invocation(history, "calculator"), streamed::add);

        assertThat(((AgentReply.Answer) reply).content())
                .startsWith("[demo agent] ")
                .contains("calculator failed")
                .contains("division by zero in '1/0'");
    }

    @Test
    void toolResultsOfAnEarlierTurnDoNotCount() {
        List<ChatMessage> history = List.of(
                user("what is 12*7?"),
                assistantCalling("c1", "calculator", "{\"expression\":\"12*7\"}"),
                toolResult("c1", "calculator", ToolStatus.OK, "84"),
                message(3L, Role.ASSISTANT)
                        .setContent("[demo agent] 12*7 = 84.")
                        .setAgent("demo")
                        .build(),
                user("and 2+3?"));

        AgentReply reply = agent.decide(invocation(history, "calculator"), streamed::add);

        assertThat(reply)
                .isEqualTo(new AgentReply.ToolCalls(
                        null, List.of(new AgentReply.Call(null, "calculator", "{\"expression\":\"2+3\"}"))));
    }

    @Test
    void withoutTheToolItAnswersPlainly() {
        AgentReply reply = agent.decide(invocation(List.of(user("what is 12*7?"))), streamed::add);

        assertThat(((AgentReply.Answer) reply).content())
                .startsWith("[demo agent] ")
                .contains("\"what is 12*7?\"")
                .contains("demo agent");
    }

    @Test
    void answersChatPlainlyAndStreamsIt() {
        AgentReply reply = agent.decide(invocation(List.of(user("hello there")), "calculator"), streamed::add);

        String content = ((AgentReply.Answer) reply).content();
        assertThat(content)
                .startsWith("[demo agent] I understood \"hello there\"")
                .contains("model");
        assertThat(String.join("", streamed)).isEqualTo(content);
    }

    @Test
    void findsExpressionsInsideSentences() {
        assertThat(DemoAgent.arithmetic("what is 12*7?")).contains("12*7");
        assertThat(DemoAgent.arithmetic("compute (3 + 4) * 2.5 please")).contains("(3 + 4) * 2.5");
        assertThat(DemoAgent.arithmetic("so (that is 2^10)")).contains("2^10");
        assertThat(DemoAgent.arithmetic("10 % 3.")).contains("10 % 3");
        assertThat(DemoAgent.arithmetic("I have 3 apples")).isEmpty();
        assertThat(DemoAgent.arithmetic("a well-known fact")).isEmpty();
    }

    @Test
    void findsPrimeLimits() {
        assertThat(DemoAgent.primeLimit("count primes up to 5000")).contains(5000L);
        assertThat(DemoAgent.primeLimit("primes below 1_000_000")).contains(1_000_000L);
        assertThat(DemoAgent.primeLimit("below 100 how many primes")).contains(100L);
        assertThat(DemoAgent.primeLimit("count to 100")).isEmpty();
        assertThat(DemoAgent.primeLimit("primes are nice")).isEmpty();
    }

    @Test
    void answersASummaryRequestWithTheUsersLinesFoldedIntoThePreviousSummary() {
        String request = "Summarize the conversation below.\n\n" + SummaryRequests.PREVIOUS
                + "- the user said: my name is Ada" + SummaryRequests.CONVERSATION
                + "user: I live in Lyon\nassistant: noted\ntool calculator: 42\nuser: and I like tea\n";
        AgentInvocation summary = invocation(List.of(user(request)));
        summary.setTurnId("summary~3");
        summary.setPurpose(InvocationPurpose.SUMMARY);

        AgentReply reply = agent.decide(summary, streamed::add);

        assertThat(((AgentReply.Answer) reply).content())
                .isEqualTo("[demo agent] summary of the earlier conversation:\n- the user said: my name is Ada\n"
                        + "- the user said: I live in Lyon\n- the user said: and I like tea");
    }

    @Test
    void aRollingDemoSummaryKeepsTheFirstAndTheLastLinesOnly() {
        StringBuilder transcript = new StringBuilder();
        for (int i = 1; i <= 100; i++) {
            transcript.append("user: message ").append(i).append('\n');
        }
        String text = DemoSummary.of(
                SummaryRequests.PREVIOUS + SummaryRequests.NONE + SummaryRequests.CONVERSATION + transcript);

        List<String> lines = text.lines().skip(1).toList();
        assertThat(lines).hasSize(DemoSummary.FIRST_LINES + DemoSummary.LAST_LINES);
        assertThat(lines.getFirst()).isEqualTo("- the user said: message 1");
        assertThat(lines.getLast()).isEqualTo("- the user said: message 100");
    }

    private static AgentInvocation invocation(List<ChatMessage> messages, String... tools) {
        List<ToolDefinition> definitions = new ArrayList<>();
        for (String tool : tools) {
            definitions.add(ToolDefinition.newBuilder()
                    .setName(tool)
                    .setDescription(tool)
                    .setParametersSchema("{\"type\":\"object\"}")
                    .setResources(ResourceSpec.newBuilder().build())
                    .setRetry(RetryPolicy.newBuilder().build())
                    .build());
        }
        return AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStep(0)
                .setAgent("demo")
                .setMessages(messages)
                .setTools(definitions)
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .build();
    }

    private static ChatMessage.Builder message(long sequence, Role role) {
        return ChatMessage.newBuilder()
                .setSequence(sequence)
                .setRole(role)
                .setToolCalls(List.of())
                .setTurnId("t1")
                .setTimestampMs(0L);
    }

    private static ChatMessage user(String text) {
        return message(0L, Role.USER).setContent(text).build();
    }

    private static ChatMessage assistantCalling(String callId, String tool, String arguments) {
        return message(1L, Role.ASSISTANT)
                .setToolCalls(List.of(new ToolCall(callId, tool, arguments)))
                .setAgent("demo")
                .build();
    }

    private static ChatMessage toolResult(String callId, String tool, ToolStatus status, String output) {
        return message(2L, Role.TOOL)
                .setContent(output)
                .setToolCallId(callId)
                .setToolName(tool)
                .setToolStatus(status)
                .setWorker("w1")
                .build();
    }
}
