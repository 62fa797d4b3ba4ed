package dev.skein.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.ToolCall;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.topologies.context.ContextBudget;
import dev.skein.topologies.context.ContextWindow;
import dev.skein.topologies.context.MessageTokens;
import dev.skein.topologies.context.Tokenizer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;

/**
 * {@code skein bench context}: what building one invocation's context window costs at 2,000 and
 * 10,000 messages of history. The history is held as the Avro bytes the session-messages store
 * holds and is read newest first, deserializing each message as the store's iterator does; what
 * is left out is RocksDB's own seek and read, which the bench of whole turns ({@code history})
 * includes. Three figures per size: warm (token counts remembered, as on every turn but a
 * session's first after a restart), cold (nothing remembered: that first pass), and, for
 * comparison, counting every message of the history with jtokkit, which is what a builder that
 * did not stop at the budget would pay.
 */
final class ContextBench {

    record Options(int iterations, Path out) {}

    record Figure(int messages, String pass, int windowMessages, int windowTokens, Latency latency) {}

    private static final String TOPIC = "skein-sessions-session-messages-changelog";
    private static final ContextBudget BUDGET = new ContextBudget(16_000, 2_000, Tokenizer.CL100K_BASE, 1_000, "");

    private final Options options;
    private final PrintStream console;
    private final Serde<ChatMessage> serde =
            new SkeinTopics("skein.", new InMemorySchemaRegistry()).serde(ChatMessage.class);

    ContextBench(Options options, PrintStream console) {
        this.options = options;
        this.console = console;
    }

    List<Figure> run() {
        List<Figure> figures = new ArrayList<>();
        for (int size : new int[] {2_000, 10_000}) {
            List<byte[]> history = history(size);
            MessageTokens remembered = new MessageTokens(200_000);
            figures.add(measure(size, "warm", history, () -> remembered));
            figures.add(measure(size, "cold", history, () -> new MessageTokens(10_000)));
            figures.add(countAll(size, history));
        }
        for (Figure f : figures) {
            console.printf(
                    Locale.ROOT,
                    "context %6d messages %-9s window %4d messages %6d tokens  p50 %8.3f ms  p99 %8.3f ms%n",
                    f.messages(),
                    f.pass(),
                    f.windowMessages(),
                    f.windowTokens(),
                    f.latency().p50(),
                    f.latency().p99());
        }
        return figures;
    }

    private Figure measure(
            int size, String pass, List<byte[]> history, java.util.function.Supplier<MessageTokens> counts) {
        Histogram nanos = Latency.histogram();
        ContextWindow.Built built = null;
        int warmup = options.iterations() / 5;
        for (int i = -warmup; i < options.iterations(); i++) {
            ContextWindow window = new ContextWindow(counts.get());
            long start = System.nanoTime();
            built = window.build("acme/bench", BUDGET, newestFirst(history), List.of(), 0, 10_000);
            long took = System.nanoTime() - start;
            if (i >= 0) {
                nanos.recordValue(took);
            }
        }
        return new Figure(size, pass, built.messages().size(), built.tokens(), Latency.of(nanos));
    }

    private Figure countAll(int size, List<byte[]> history) {
        Histogram nanos = Latency.histogram();
        int iterations = Math.max(5, options.iterations() / 50);
        int tokens = 0;
        for (int i = -2; i < iterations; i++) {
            long start = System.nanoTime();
            tokens = 0;
            for (Iterator<ChatMessage> it = newestFirst(history); it.hasNext(); ) {
                tokens += MessageTokens.count(it.next(), BUDGET.tokenizer());
            }
            long took = System.nanoTime() - start;
            if (i >= 0) {
                nanos.recordValue(took);
            }
        }
        return new Figure(size, "count-all", size, tokens, Latency.of(nanos));
    }

    private Iterator<ChatMessage> newestFirst(List<byte[]> history) {
        Deserializer<ChatMessage> deserializer = serde.deserializer();
        return new Iterator<>() {
            private int next = history.size() - 1;

            @Override
            public boolean hasNext() {
                return next >= 0;
            }

            @Override
            public ChatMessage next() {
                return deserializer.deserialize(TOPIC, history.get(next--));
            }
        };
    }

    /** Turns of a user question and an answer; every tenth with a tool call and a 2 KB result between. */
    private List<byte[]> history(int size) {
        List<byte[]> history = new ArrayList<>(size);
        int turn = 0;
        while (history.size() < size) {
            String id = "t" + turn;
            add(
                    history,
                    id,
                    Role.USER,
                    "Question " + turn + ": how does the order " + (1000 + turn)
                            + " look, and when will it be shipped to the customer in Lyon?",
                    List.of(),
                    null);
            if (turn % 10 == 0) {
                ToolCall call = new ToolCall("c" + turn, "orders_lookup", "{\"order\":" + (1000 + turn) + "}");
                add(history, id, Role.ASSISTANT, null, List.of(call), null);
                add(
                        history,
                        id,
                        Role.TOOL,
                        "{\"status\":\"packed\",\"items\":[" + "\"item\",".repeat(250) + "\"x\"]}",
                        List.of(),
                        call.getCallId());
            }
            add(
                    history,
                    id,
                    Role.ASSISTANT,
                    "Order " + (1000 + turn) + " is packed and leaves the warehouse"
                            + " tomorrow morning; it should reach Lyon within two working days.",
                    List.of(),
                    null);
            turn++;
        }
        return history.subList(0, size);
    }

    private void add(
            List<byte[]> history, String turnId, Role role, String content, List<ToolCall> calls, String callId) {
        ChatMessage message = ChatMessage.newBuilder()
                .setSequence(history.size())
                .setRole(role)
                .setContent(content)
                .setToolCalls(new ArrayList<>(calls))
                .setToolCallId(callId)
                .setToolName(callId == null ? null : "orders_lookup")
                .setTurnId(turnId)
                .setAgent("support")
                .setTimestampMs(0)
                .build();
        history.add(serde.serializer().serialize(TOPIC, message));
    }

    void write(List<Figure> figures) throws IOException {
        Files.createDirectories(options.out());
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(options.out().resolve("context.json").toFile(), figures);
    }
}
