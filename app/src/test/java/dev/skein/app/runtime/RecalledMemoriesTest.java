package dev.skein.app.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.adapters.MemoryInjection;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.MemoryRecallSlot;
import dev.skein.events.Role;
import dev.skein.memory.Embedder;
import dev.skein.memory.MemoryStore;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.EventProducer;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The runner's recall when memory cannot answer: the invocation goes on unchanged, at once, with
 * the reason said; an invocation that asked for nothing is not touched.
 */
class RecalledMemoriesTest {

    /** Nothing listens there: the index never catches up with the topic. */
    private static final Map<String, Object> NOWHERE =
            Map.of("bootstrap.servers", "127.0.0.1:1", "reconnect.backoff.max.ms", 1000);

    private static final Embedder UNUSED = new Embedder() {
        @Override
        public String model() {
            return "unused";
        }

        @Override
        public int dimensions() {
            return 3;
        }

        @Override
        public float[] embed(String text) {
            throw new AssertionError("nothing is embedded before the index is ready");
        }
    };

    @Test
    void anIndexThatIsNotReadyLeavesTheInvocationAsItWasAndSaysWhy() {
        SkeinTopics topics = new SkeinTopics("recall-test.", new InMemorySchemaRegistry());
        try (EventProducer producer = new EventProducer(NOWHERE, "test");
                MemoryStore store = new MemoryStore(NOWHERE, topics, producer, UNUSED, Duration.ofSeconds(1));
                RecalledMemories recalled = new RecalledMemories(store, Duration.ofSeconds(2))) {
            AgentInvocation asking = invocation(slot());
            long started = System.nanoTime();
            MemoryInjection.Injected injected = recalled.inject(asking);

            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(2));
            assertThat(injected.invocation()).isSameAs(asking);
            assertThat(injected.memoryIds()).isEmpty();
            assertThat(injected.problem()).startsWith("the memory index is not ready");

            AgentInvocation notAsking = invocation(null);
            assertThat(recalled.inject(notAsking)).isEqualTo(MemoryInjection.Injected.none(notAsking));
        }
    }

    private static MemoryRecallSlot slot() {
        return MemoryRecallSlot.newBuilder()
                .setTokens(200)
                .setLimit(3)
                .setTokenizer("estimate")
                .setUserId("alice")
                .build();
    }

    private static AgentInvocation invocation(MemoryRecallSlot slot) {
        ChatMessage user = ChatMessage.newBuilder()
                .setSequence(1)
                .setRole(Role.USER)
                .setContent("what do I like to drink?")
                .setToolCalls(new ArrayList<>())
                .setTurnId("t1")
                .setTimestampMs(0)
                .build();
        return AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStep(0)
                .setAgent("demo")
                .setMessages(List.of(user))
                .setTools(List.of())
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .setContextTokens(10)
                .setMemoryRecall(slot)
                .build();
    }
}
