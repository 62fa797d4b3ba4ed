package dev.skein.topologies.context;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.ToolCall;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContextWindowTest {

    private static final String ADDRESS = "acme/s1";
    private static final Tokenizer CL100K = Tokenizer.CL100K_BASE;

    private final ContextWindow window = new ContextWindow(new MessageTokens(10_000));
    private final List<ChatMessage> history = new ArrayList<>();

    @Test
    void keepsTheNewestMessagesThatFitAndCutsTheOldestFirst() {
        for (int i = 0; i < 200; i++) {
            user("question number " + i + " about the weather in a city far away");
            assistant("answer number " + i + ": it is sunny and the wind comes from the west");
        }
        user("and tomorrow?");
        ContextBudget budget = budget(600, 100, 1_000);

        ContextWindow.Built built = build(budget, 1_000);

        assertThat(built.tokens()).isLessThanOrEqualTo(budget.inputTokens());
        // Nearly full: the next older message would not have fitted.
        assertThat(built.tokens()).isGreaterThan(budget.inputTokens() - 40);
        assertThat(built.messages().getLast().getContent()).isEqualTo("and tomorrow?");
        assertThat(built.messages()).isSortedAccordingTo((a, b) -> Long.compare(a.getSequence(), b.getSequence()));
        // A suffix of the history: nothing between two kept messages was cut.
        List<ChatMessage> kept = built.messages();
        assertThat(kept).containsExactlyElementsOf(history.subList(history.size() - kept.size(), history.size()));
        assertThat(built.tokens()).isEqualTo(tokensOf(kept, CL100K));
        assertThat(built.reachedStart()).isFalse();
        assertThat(built.firstSequence()).isEqualTo(kept.getFirst().getSequence());
    }

    @Test
    void theMessageCountIsAnUpperBoundToo() {
        for (int i = 0; i < 30; i++) {
            user("q" + i);
            assistant("a" + i);
        }
        user("last");

        ContextWindow.Built built = build(budget(100_000, 100, 1_000), 7);

        assertThat(built.messages()).hasSize(7);
        assertThat(built.messages().getLast().getContent()).isEqualTo("last");
    }

    @Test
    void neverCutsTheLatestUserMessageNorTheCurrentStepEvenOverBudget() {
        user("old question");
        assistant("old answer");
        user("a long question ".repeat(200));
        toolUnit("turn-9", "call-1", "calculator", "{\"expression\":\"1+1\"}", "2");

        ContextWindow.Built built = build(budget(300, 100, 1_000), 50);

        assertThat(built.overBudget()).isTrue();
        assertThat(built.messages())
                .extracting(ChatMessage::getRole)
                .containsExactly(Role.USER, Role.ASSISTANT, Role.TOOL);
        assertThat(built.messages().getFirst().getContent()).startsWith("a long question");
    }

    @Test
    void keepsTheUserMessageOfTheTurnWhenItsEarlierStepsDoNotFit() {
        user("compute things");
        toolUnit("t", "c1", "calculator", "{}", "first result ".repeat(100));
        toolUnit("t", "c2", "calculator", "{}", "second result");

        ContextWindow.Built built = build(budget(200, 10, 1_000), 50);

        assertThat(CL100K.count("first result ".repeat(100))).isGreaterThan(190);
        assertThat(built.messages())
                .extracting(m -> m.getToolCallId() != null
                        ? m.getToolCallId()
                        : m.getRole().name())
                .containsExactly("USER", "ASSISTANT", "c2");
        assertThat(built.overBudget()).isFalse();
    }

    @Test
    void aToolResultNeverStandsWithoutItsCallNorACallWithoutItsResults() {
        user("first");
        toolUnitWithTwoResults("t1", "one ".repeat(30), "two ".repeat(30));
        assistant("done");
        for (int i = 0; i < 10; i++) {
            user("chat " + i);
            assistant("reply " + i);
        }
        // Budgets that cut through every position of the tool unit: it is in whole or not at all.
        for (int max = 150; max < 700; max += 7) {
            ContextWindow.Built built = build(budget(max, 10, 1_000), 100);
            List<ChatMessage> kept = built.messages();
            boolean call = kept.stream().anyMatch(m -> !m.getToolCalls().isEmpty());
            long results = kept.stream().filter(m -> m.getRole() == Role.TOOL).count();
            assertThat(results).as("budget %d", max).isEqualTo(call ? 2 : 0);
            assertThat(built.tokens()).as("budget %d", max).isLessThanOrEqualTo(max - 10);
        }
    }

    @Test
    void dropsToolResultsWhoseCallIsOutsideTheRangeRead() {
        ChatMessage orphan = message(Role.TOOL, "earlier result")
                .setToolCallId("gone")
                .setToolName("calculator")
                .build();
        history.add(orphan);
        user("next");

        ContextWindow.Built built = build(budget(10_000, 10, 1_000), 50);

        assertThat(built.messages()).extracting(ChatMessage::getContent).containsExactly("next");
        assertThat(built.reachedStart()).isFalse();
    }

    @Test
    void truncatesALongToolResultWithAMarkerAndCountsItsShortForm() {
        user("read the file");
        String output = "line of a very long file with many words in it\n".repeat(500);
        toolUnit("t", "c1", "read_file", "{}", output);
        int total = CL100K.count(output);

        ContextWindow.Built built = build(budget(2_000, 100, 50), 50);

        ChatMessage result = built.messages().getLast();
        assertThat(result.getContent())
                .startsWith("line of a very long file")
                .endsWith("[truncated: 50 of " + total + " tokens shown; the full result is in the session history]");
        assertThat(CL100K.count(result.getContent())).isLessThanOrEqualTo(50 + 30);
        assertThat(built.tokens()).isEqualTo(tokensOf(built.messages(), CL100K));
        // The history's message is untouched.
        assertThat(history.getLast().getContent()).isEqualTo(output);
    }

    @Test
    void thePreambleComesFirstWhenItFitsAndIsLeftOutWhenItDoesNot() {
        for (int i = 0; i < 50; i++) {
            user("q" + i);
            assistant("a" + i);
        }
        user("now");
        ChatMessage summary = message(Role.SYSTEM, "[summary of the earlier conversation]\nthe user likes tea")
                .build();

        ContextWindow.Built fits =
                window.build(ADDRESS, budget(200, 10, 100), history.reversed().iterator(), List.of(summary), 0, 100);
        ContextWindow.Built tooBig = window.build(
                ADDRESS,
                budget(60, 10, 100),
                history.reversed().iterator(),
                List.of(message(Role.SYSTEM, "long summary ".repeat(40)).build()),
                0,
                100);

        assertThat(fits.messages().getFirst()).isEqualTo(summary);
        assertThat(fits.tokens()).isLessThanOrEqualTo(190);
        assertThat(tooBig.messages()).allMatch(m -> m.getRole() != Role.SYSTEM);
        assertThat(tooBig.messages().getLast().getContent()).isEqualTo("now");
    }

    @Test
    void fixedTokensOfSystemPromptAndToolsComeOffTheBudget() {
        for (int i = 0; i < 50; i++) {
            user("q" + i);
            assistant("a" + i);
        }
        ContextBudget budget = budget(500, 100, 100).withSystemPrompt("You are terse. ".repeat(20));
        int fixed = MessageTokens.systemPrompt(budget.systemPrompt(), CL100K);

        ContextWindow.Built built =
                window.build(ADDRESS, budget, history.reversed().iterator(), List.of(), fixed, 100);

        assertThat(fixed).isGreaterThan(60);
        assertThat(built.tokens()).isEqualTo(fixed + tokensOf(built.messages(), CL100K));
        assertThat(built.tokens()).isLessThanOrEqualTo(400);
    }

    @Test
    void theEstimateIsFourCharactersATokenRoundedUp() {
        assertThat(Tokenizer.ESTIMATE.count("abcd")).isEqualTo(1);
        assertThat(Tokenizer.ESTIMATE.count("abcde")).isEqualTo(2);
        assertThat(Tokenizer.ESTIMATE.count("")).isZero();
        assertThat(Tokenizer.ESTIMATE.head("abcdefghij", 2)).isEqualTo("abcdefgh");
        // jtokkit's counts are the encodings' own: "hello world" is two tokens in both.
        assertThat(Tokenizer.CL100K_BASE.count("hello world")).isEqualTo(2);
        assertThat(Tokenizer.O200K_BASE.count("hello world")).isEqualTo(2);
        assertThat(Tokenizer.CL100K_BASE.count("<|endoftext|>")).isGreaterThan(1);
    }

    private ContextWindow.Built build(ContextBudget budget, int maxMessages) {
        return window.build(ADDRESS, budget, history.reversed().iterator(), List.of(), 0, maxMessages);
    }

    private static ContextBudget budget(int max, int reserve, int maxToolResult) {
        return new ContextBudget(max, reserve, CL100K, maxToolResult, "");
    }

    private static int tokensOf(List<ChatMessage> messages, Tokenizer tokenizer) {
        return messages.stream()
                .mapToInt(m -> MessageTokens.count(m, tokenizer))
                .sum();
    }

    private void user(String content) {
        history.add(message(Role.USER, content).build());
    }

    private void assistant(String content) {
        history.add(message(Role.ASSISTANT, content).build());
    }

    private void toolUnit(String turn, String callId, String tool, String arguments, String output) {
        history.add(message(Role.ASSISTANT, null)
                .setTurnId(turn)
                .setToolCalls(List.of(new ToolCall(callId, tool, arguments)))
                .build());
        history.add(message(Role.TOOL, output)
                .setTurnId(turn)
                .setToolCallId(callId)
                .setToolName(tool)
                .build());
    }

    private void toolUnitWithTwoResults(String turn, String first, String second) {
        history.add(message(Role.ASSISTANT, null)
                .setTurnId(turn)
                .setToolCalls(List.of(new ToolCall("a", "calculator", "{}"), new ToolCall("b", "calculator", "{}")))
                .build());
        history.add(message(Role.TOOL, first)
                .setToolCallId("a")
                .setToolName("calculator")
                .build());
        history.add(message(Role.TOOL, second)
                .setToolCallId("b")
                .setToolName("calculator")
                .build());
    }

    private ChatMessage.Builder message(Role role, String content) {
        return ChatMessage.newBuilder()
                .setSequence(history.size())
                .setRole(role)
                .setContent(content)
                .setToolCalls(new ArrayList<>())
                .setTurnId("t" + history.size())
                .setTimestampMs(0);
    }
}
