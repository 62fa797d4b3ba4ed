package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.adapters.AgentRunnerOptions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code skein.agents.delta-window}: how streamed text is coalesced into delta records. */
class DeltaWindowConfigTest {

    @Test
    void theWindowIsTwentyMillisecondsByDefaultAndZeroTurnsCoalescingOff() {
        assertThat(SkeinConfig.defaults().agentDeltaWindow())
                .isEqualTo(Duration.ofMillis(20))
                .isEqualTo(AgentRunnerOptions.DEFAULT_DELTA_WINDOW);
        SkeinConfig off = SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_AGENTS_DELTA_WINDOW", "0"));
        assertThat(off.agentDeltaWindow()).isZero();
    }

    @Test
    void aNegativeOrVeryLongWindowIsRefusedNamingTheKey() {
        for (String bad : new String[] {"-5ms", "2s"}) {
            assertThatThrownBy(() ->
                            SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_AGENTS_DELTA_WINDOW", bad)))
                    .hasMessageContaining("skein.agents.delta-window")
                    .hasMessageContaining("between 0 and 1s");
        }
    }
}
