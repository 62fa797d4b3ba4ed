package dev.skein.adapters;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentInvocation;
import dev.skein.events.MemoryRecallSlot;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A runner without memory: an invocation that asks for memories runs unchanged and says why. */
class MemoryInjectionTest {

    @Test
    void aRunnerWithoutMemoryTouchesNothingAndNamesTheMismatchWhenAsked() {
        AgentInvocation plain = invocation(null);
        assertThat(MemoryInjection.NONE.inject(plain)).isEqualTo(MemoryInjection.Injected.none(plain));

        AgentInvocation asking = invocation(MemoryRecallSlot.newBuilder()
                .setTokens(100)
                .setLimit(5)
                .setTokenizer("estimate")
                .setUserId("alice")
                .build());
        MemoryInjection.Injected injected = MemoryInjection.NONE.inject(asking);
        assertThat(injected.invocation()).isSameAs(asking);
        assertThat(injected.memoryIds()).isEmpty();
        assertThat(injected.problem()).contains("keeps no memory index").contains("memory-share");
    }

    private static AgentInvocation invocation(MemoryRecallSlot slot) {
        return AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStep(0)
                .setAgent("demo")
                .setMessages(List.of())
                .setTools(List.of())
                .setDeadlineMs(0)
                .setRequestedAtMs(0)
                .setMemoryRecall(slot)
                .build();
    }
}
