package dev.skein.topologies.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.ChatMessage;
import dev.skein.events.MemoryKind;
import dev.skein.events.MemoryRecallSlot;
import dev.skein.events.MemoryRecord;
import dev.skein.events.Role;
import dev.skein.topologies.context.ContextBudget;
import dev.skein.topologies.context.ContextWindow;
import dev.skein.topologies.context.MemoryPreamble;
import dev.skein.topologies.context.MemoryShare;
import dev.skein.topologies.context.MessageTokens;
import dev.skein.topologies.context.Tokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The arithmetic of recalled memories in a budget, with the real tokenizers: the window built
 * within the budget less the share, the slot the topology names, and the memories the runner fits
 * into it together never pass the agent's input tokens, for many budgets, shares, histories and
 * memories; and the memories' message says what it holds.
 */
class MemoryBudgetTest {

    private static final String SYSTEM_PROMPT = "You are a helpful assistant who answers briefly.";
    private static final String[] WORDS = {
        "tea",
        "Lisbon",
        "prefers",
        "daughter",
        "allergic",
        "peanuts",
        "works",
        "at",
        "Acme",
        "since",
        "2019",
        "日本語",
        "{\"k\":1}",
        "the",
        "cat",
        "Rex",
        "is",
        "a",
        "dog",
        "emoji 🙂",
        "and",
        "likes",
        "green",
        "birthday",
        "May"
    };

    private final ContextWindow builder = new ContextWindow(new MessageTokens(10_000));

    @Test
    void windowAndInjectedMemoriesStayWithinTheBudgetForManySizes() {
        Random random = new Random(16);
        int injectedSomething = 0;
        for (int run = 0; run < 600; run++) {
            Tokenizer tokenizer = Tokenizer.values()[run % Tokenizer.values().length];
            int max = 150 + random.nextInt(4_000);
            int reserve = random.nextInt(max / 3);
            MemoryShare share = new MemoryShare(random.nextInt(51) / 100.0, 1 + random.nextInt(10));
            ContextBudget budget =
                    new ContextBudget(max, reserve, tokenizer, 50 + random.nextInt(300), SYSTEM_PROMPT, share);
            List<ChatMessage> history = history(random, 1 + random.nextInt(60));
            int fixed = MessageTokens.systemPrompt(SYSTEM_PROMPT, tokenizer);

            ContextWindow.Built window = builder.build(
                    "acme/s" + run, budget.forHistory(), history.reversed().iterator(), List.of(), fixed, 50);
            MemoryRecallSlot slot = SessionContext.memoryRecall(budget, window, "alice");
            // What the topology counted is what the messages count.
            assertThat(window.tokens()).isEqualTo(fixed + tokensOf(window.messages(), tokenizer));
            if (!window.overBudget()) {
                assertThat(window.tokens())
                        .as("run %d", run)
                        .isLessThanOrEqualTo(budget.inputTokens() - budget.memoryTokens());
            }
            if (slot == null) {
                assertThat(share.share() == 0 || window.tokens() >= budget.inputTokens() || budget.memoryTokens() == 0)
                        .as("run %d: a slot is left out only when nothing can be reserved", run)
                        .isTrue();
                continue;
            }
            assertThat(slot.getTokens()).isPositive().isLessThanOrEqualTo(budget.memoryTokens());

            MemoryPreamble.Fitted fitted = MemoryPreamble.fit(
                    memories(random, 1 + random.nextInt(20)),
                    slot.getLimit(),
                    slot.getTokens(),
                    Tokenizer.named(slot.getTokenizer()),
                    0);
            List<ChatMessage> sent = fitted.message() == null
                    ? window.messages()
                    : MemoryPreamble.insert(window.messages(), fitted.message());
            int total = fixed + tokensOf(sent, tokenizer);
            assertThat(total)
                    .as("run %d (%s, max %d, share %s)", run, tokenizer, max, share.share())
                    .isLessThanOrEqualTo(Math.max(budget.inputTokens(), window.tokens()));
            assertThat(total).isEqualTo(window.tokens() + fitted.tokens());
            assertThat(fitted.ids().size()).isLessThanOrEqualTo(slot.getLimit());
            if (fitted.message() != null) {
                injectedSomething++;
                assertThat(fitted.tokens()).isEqualTo(MessageTokens.count(fitted.message(), tokenizer));
            }
        }
        // The runs exercised the injection itself, not only the reservation.
        assertThat(injectedSomething).isGreaterThan(200);
    }

    @Test
    void memoriesAreTakenNearestFirstUpToTheLimitSkippingOnesThatDoNotFit() {
        Tokenizer tokenizer = Tokenizer.CL100K_BASE;
        List<MemoryRecord> nearestFirst = List.of(
                memory("m1", "Alice prefers green tea"),
                memory("m2", "word ".repeat(300)),
                memory("m3", "Alice lives in Lisbon"),
                memory("m4", "Alice has a dog called Rex"));
        MemoryPreamble.Fitted fitted = MemoryPreamble.fit(nearestFirst, 2, 80, tokenizer, 0);

        assertThat(fitted.ids()).containsExactly("m1", "m3");
        assertThat(fitted.message().getRole()).isEqualTo(Role.SYSTEM);
        assertThat(fitted.message().getContent())
                .startsWith("[long-term memory: notes from earlier conversations with this user")
                .contains("- Alice prefers green tea\n- Alice lives in Lisbon")
                .doesNotContain("Rex");
        assertThat(fitted.tokens()).isLessThanOrEqualTo(80);

        // Too little room for the header and one memory: no message at all, not a header alone.
        assertThat(MemoryPreamble.fit(nearestFirst, 5, 20, tokenizer, 0)).isEqualTo(MemoryPreamble.Fitted.NONE);
        assertThat(MemoryPreamble.fit(List.of(), 5, 500, tokenizer, 0).message())
                .isNull();
    }

    @Test
    void theMemoriesGoAfterTheSummaryAndBeforeTheHistory() {
        ChatMessage summary = message(Role.SYSTEM, "[summary of the earlier conversation]\nthey talked");
        ChatMessage user = message(Role.USER, "what do I like to drink?");
        ChatMessage memories = MemoryPreamble.fit(
                        List.of(memory("m1", "Alice prefers green tea")), 5, 100, Tokenizer.ESTIMATE, 0)
                .message();

        assertThat(MemoryPreamble.insert(List.of(summary, user), memories)).containsExactly(summary, memories, user);
        assertThat(MemoryPreamble.insert(List.of(user), memories)).containsExactly(memories, user);
        assertThat(MemoryPreamble.query(List.of(summary, user, message(Role.ASSISTANT, "tea"))))
                .isEqualTo("what do I like to drink?");
        assertThat(MemoryPreamble.query(List.of(summary))).isNull();
    }

    @Test
    void aShareIsBetweenZeroAndAHalfAndTheLimitBetweenOneAndFifty() {
        assertThatThrownBy(() -> new MemoryShare(0.6, 5))
                .hasMessageContaining("memory-share must be between 0 and 0.5");
        assertThatThrownBy(() -> new MemoryShare(-0.1, 5)).hasMessageContaining("memory-share");
        assertThatThrownBy(() -> new MemoryShare(Double.NaN, 5)).hasMessageContaining("memory-share");
        assertThatThrownBy(() -> new MemoryShare(0.2, 0)).hasMessageContaining("memory-limit must be between 1 and 50");
        assertThat(new ContextBudget(1_000, 100, Tokenizer.ESTIMATE, 10, "", new MemoryShare(0.5, 5))
                        .forHistory()
                        .inputTokens())
                .isEqualTo(450);
        ContextBudget off = new ContextBudget(1_000, 100, Tokenizer.ESTIMATE, 10, "");
        assertThat(off.forHistory()).isSameAs(off);
        assertThat(off.memoryTokens()).isZero();
    }

    private static List<ChatMessage> history(Random random, int count) {
        List<ChatMessage> history = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ChatMessage message =
                    message(i % 2 == 0 ? Role.USER : Role.ASSISTANT, text(random, 1 + random.nextInt(80)));
            message.setSequence(i + 1);
            history.add(message);
        }
        if (history.getLast().getRole() != Role.USER) {
            // Now and then longer than a small budget: the never-cut part then takes the memories' share.
            ChatMessage last = message(Role.USER, text(random, 1 + random.nextInt(random.nextInt(8) == 0 ? 400 : 30)));
            last.setSequence(count + 1);
            history.add(last);
        }
        return history;
    }

    private static List<MemoryRecord> memories(Random random, int count) {
        List<MemoryRecord> memories = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            MemoryRecord memory = memory("m" + i, text(random, 1 + random.nextInt(40)));
            if (i % 5 == 4) {
                memory.setKind(MemoryKind.ENTITY);
                memory.setEntity("Rex");
                memory.setRelations(List.of("is_pet_of:Alice", "breed:beagle"));
            }
            memories.add(memory);
        }
        return memories;
    }

    private static String text(Random random, int words) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < words; i++) {
            text.append(i == 0 ? "" : random.nextInt(9) == 0 ? "\n" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return text.toString();
    }

    private static MemoryRecord memory(String id, String text) {
        return MemoryRecord.newBuilder()
                .setId(id)
                .setTenant("acme")
                .setUserId("alice")
                .setKind(MemoryKind.FACT)
                .setText(text)
                .setRelations(new ArrayList<>())
                .setCreatedAtMs(0)
                .setEmbeddingModel("test")
                .setEmbedding(List.of())
                .build();
    }

    private static ChatMessage message(Role role, String content) {
        return ChatMessage.newBuilder()
                .setSequence(0)
                .setRole(role)
                .setContent(content)
                .setToolCalls(new ArrayList<>())
                .setTurnId("t1")
                .setTimestampMs(0)
                .build();
    }

    private static int tokensOf(List<ChatMessage> messages, Tokenizer tokenizer) {
        return messages.stream()
                .mapToInt(m -> MessageTokens.count(m, tokenizer))
                .sum();
    }
}
