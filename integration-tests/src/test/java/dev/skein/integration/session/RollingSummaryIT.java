package dev.skein.integration.session;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.DeltaSink;
import dev.skein.adapters.demo.DemoAgent;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.InvocationPurpose;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Rolling summaries on a whole node over a real broker: with a small token budget, the summarizer
 * is invoked through the agent runners' share group like any agent, its answers come back through
 * skein.agent-steps and are stored, and a later turn is answered from the summary about the first
 * turn, long out of the window. No summary text reaches the session's stream, and the history
 * keeps every message and nothing else.
 */
@Tag("session")
class RollingSummaryIT {

    private static final Pattern FACT = Pattern.compile("FACT: [^\\n]*");
    private static final Pattern CODE_WORD = Pattern.compile("code word is (\\w+)");
    private static final String SUMMARY_HEADER = "[summary of the earlier conversation]";
    private static final Scribe scribe = new Scribe();
    private static final Recording chronicler = new Recording(new DemoAgent("chronicler"));
    private static SkeinNode node;
    private static SkeinClient client;
    private static String base;

    @BeforeAll
    static void start() throws Exception {
        SkeinConfig config = TestNodes.config(
                "rolling-summary",
                Map.of(
                        // The worker's tools take about 600 tokens of it: they are counted too. The memory
                        // tools are off, so that the budget left for history does not shrink with them.
                        "skein.memory.enabled", false,
                        "skein.agents.context.max-tokens", 1100,
                        "skein.agents.context.reserve-for-answer", 100,
                        "skein.agents.context.tokenizer", "cl100k_base",
                        "skein.session.summaries.after-messages", 6));
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false, List.of(scribe, chronicler));
        base = "http://127.0.0.1:" + node.httpPort().orElseThrow();
        client = new SkeinClient(node.httpPort().orElseThrow());
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aLongSessionIsAnsweredFromItsRollingSummary() throws Exception {
        List<JsonNode> events = new ArrayList<>();
        int turns = 0;
        try (SkeinClient.Stream stream = client.stream("long")) {
            assertThat(turn("Remember this. FACT: the code word is heliotrope")).isEqualTo("ok");
            turns++;
            // Until a turn's window starts with a summary: the summaries run beside the turns.
            while (scribe.turnsWithSummary() == 0) {
                assertThat(turns).as("turns before a window carried a summary").isLessThan(80);
                assertThat(turn("turn " + turns + ": a few words about the weather, which is fine today"))
                        .isEqualTo("ok");
                turns++;
            }
            assertThat(turn("What is the code word?")).isEqualTo("heliotrope");
            turns++;
            for (JsonNode event = stream.next(Duration.ofSeconds(2));
                    event != null;
                    event = stream.next(Duration.ofSeconds(2))) {
                events.add(event);
            }
        }

        assertThat(scribe.summaries).hasSizeGreaterThanOrEqualTo(1);
        assertThat(scribe.summaries)
                .allMatch(s ->
                        s.getTurnId().startsWith("summary~") && s.getTools().isEmpty());
        // Every invocation, turns and summaries, was counted within the budget.
        assertThat(scribe.seen).allMatch(i -> i.getContextTokens() != null && i.getContextTokens() <= 1000);
        // The first turn's own message was long out of the question's window: the fact came from the summary.
        AgentInvocation question = scribe.seen.stream()
                .filter(i -> i.getPurpose() != InvocationPurpose.SUMMARY)
                .reduce((a, b) -> b)
                .orElseThrow();
        assertThat(question.getMessages().getFirst().getContent()).startsWith(SUMMARY_HEADER);
        assertThat(question.getMessages().stream().skip(1))
                .noneMatch(m -> m.getContent() != null && m.getContent().contains("heliotrope"));
        // Summaries stream nothing: every event of the session's stream is one of its turns'.
        assertThat(events).isNotEmpty();
        assertThat(events).noneMatch(e -> e.path("turnId").asText().startsWith("summary~"));
        // The history holds the turns' messages and nothing else.
        JsonNode history = client.awaitHistory("long", 2 * turns);
        assertThat(history.size()).isEqualTo(2 * turns);
        assertThat(history.toString()).doesNotContain("summary~");
    }

    @Test
    void theDemoAgentSummarizesWithoutAModel() {
        turn("demo", "chronicler", "My first message: the meeting is on Thursday");
        for (int i = 2; turnsWithSummary(chronicler.seen()) == 0; i++) {
            assertThat(i).as("turns before a window carried the demo's summary").isLessThan(80);
            turn("demo", "chronicler", "message " + i + " about nothing in particular, to fill the window");
        }

        AgentInvocation withSummary = chronicler.seen().stream()
                .filter(i -> i.getPurpose() != InvocationPurpose.SUMMARY)
                .filter(i -> i.getMessages().getFirst().getContent().startsWith(SUMMARY_HEADER))
                .findFirst()
                .orElseThrow();
        assertThat(withSummary.getMessages().getFirst().getContent())
                .contains("[demo agent] summary of the earlier conversation:")
                .contains("- the user said: My first message: the meeting is on Thursday");
    }

    private static long turnsWithSummary(List<AgentInvocation> seen) {
        return seen.stream()
                .filter(i -> i.getPurpose() != InvocationPurpose.SUMMARY)
                .filter(i -> !i.getMessages().isEmpty()
                        && i.getMessages().getFirst().getContent().startsWith(SUMMARY_HEADER))
                .count();
    }

    private static String turn(String message) {
        return turn("long", "scribe", message);
    }

    private static String turn(String session, String agent, String message) {
        String body = SkeinClient.JSON
                .createObjectNode()
                .put("message", message)
                .put("agent", agent)
                .toString();
        SkeinClient.Response response =
                client.send(HttpRequest.newBuilder(URI.create(base + "/v1/sessions/" + session + "/turns?wait=60"))
                        .header("content-type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)));
        assertThat(response.status()).isEqualTo(200);
        assertThat(response.body().path("status").asText()).isEqualTo("COMPLETED");
        return response.body().path("answer").asText();
    }

    /**
     * A scripted agent: it summarizes by keeping every FACT line it is given, and answers a turn
     * with the code word when its window holds it (else "ok"), streaming what it says.
     */
    private static final class Scribe implements AgentAdapter {
        final List<AgentInvocation> seen = new CopyOnWriteArrayList<>();
        final List<AgentInvocation> summaries = new CopyOnWriteArrayList<>();

        long turnsWithSummary() {
            return RollingSummaryIT.turnsWithSummary(seen);
        }

        @Override
        public String name() {
            return "scribe";
        }

        @Override
        public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) {
            seen.add(invocation);
            String answer;
            if (invocation.getPurpose() == InvocationPurpose.SUMMARY) {
                summaries.add(invocation);
                Set<String> facts = new LinkedHashSet<>();
                Matcher matcher =
                        FACT.matcher(invocation.getMessages().getLast().getContent());
                while (matcher.find()) {
                    facts.add(matcher.group());
                }
                answer = facts.isEmpty() ? "nothing to remember" : String.join("\n", facts);
            } else {
                answer = "ok";
                ChatMessage last = invocation.getMessages().getLast();
                if (last.getContent() != null && last.getContent().contains("code word?")) {
                    for (ChatMessage message : invocation.getMessages()) {
                        Matcher matcher = CODE_WORD.matcher(message.getContent() == null ? "" : message.getContent());
                        if (matcher.find()) {
                            answer = matcher.group(1);
                            break;
                        }
                    }
                }
            }
            deltas.text(answer);
            return new AgentReply.Answer(answer);
        }
    }

    /** The demo agent under another name, with every invocation it is given recorded. */
    private record Recording(DemoAgent agent, List<AgentInvocation> seen) implements AgentAdapter {
        Recording(DemoAgent agent) {
            this(agent, new CopyOnWriteArrayList<>());
        }

        @Override
        public String name() {
            return agent.name();
        }

        @Override
        public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) throws Exception {
            seen.add(invocation);
            return agent.decide(invocation, deltas);
        }
    }
}
