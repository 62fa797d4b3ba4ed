package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.adapters.AgentRunnerOptions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code skein.agents.delta-window} and the pools' consumer counts ({@code skein.agents.consumers}, {@code skein.worker.consumers}). */
class PoolSettingsConfigTest {

    @Test
    void theWindowIsTwentyMillisecondsByDefaultAndZeroTurnsCoalescingOff() {
        assertThat(SkeinConfig.defaults().pools().deltaWindow())
                .isEqualTo(Duration.ofMillis(20))
                .isEqualTo(AgentRunnerOptions.DEFAULT_DELTA_WINDOW);
        SkeinConfig off = SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_AGENTS_DELTA_WINDOW", "0"));
        assertThat(off.pools().deltaWindow()).isZero();
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

    @Test
    void poolsHaveOneConsumerByDefaultAutoIsTwiceThePartitionsAndAnyCountIsBounded() {
        PoolSettings defaults = SkeinConfig.defaults().pools();
        assertThat(defaults.agentConsumers()).isEqualTo(1).isEqualTo(AgentRunnerOptions.DEFAULT_CONSUMERS);
        assertThat(defaults.workerConsumers()).isEqualTo(1);
        PoolSettings auto = SkeinConfig.load(
                        Optional.empty(),
                        Map.of(),
                        Map.of("SKEIN_AGENTS_CONSUMERS", "auto", "SKEIN_WORKER_CONSUMERS", "auto"))
                .pools();
        assertThat(auto.agentConsumers()).isEqualTo(8);
        assertThat(auto.workerConsumers()).isEqualTo(8);
        PoolSettings wide = SkeinConfig.load(
                        Optional.empty(),
                        Map.of(),
                        Map.of("SKEIN_TOPICS_PARTITIONS", "48", "SKEIN_AGENTS_CONSUMERS", "auto"))
                .pools();
        assertThat(wide.agentConsumers()).isEqualTo(64);
        SkeinConfig one = SkeinConfig.load(
                Optional.empty(), Map.of(), Map.of("SKEIN_AGENTS_CONSUMERS", "1", "SKEIN_WORKER_CONSUMERS", "8"));
        assertThat(one.pools().agentConsumers()).isEqualTo(1);
        assertThat(one.pools().workerConsumers()).isEqualTo(8);
        for (String key : new String[] {"SKEIN_AGENTS_CONSUMERS", "SKEIN_WORKER_CONSUMERS"}) {
            for (String bad : new String[] {"0", "65", "many"}) {
                assertThatThrownBy(() -> SkeinConfig.load(Optional.empty(), Map.of(), Map.of(key, bad)))
                        .hasMessageContaining(
                                key.equals("SKEIN_AGENTS_CONSUMERS")
                                        ? "skein.agents.consumers"
                                        : "skein.worker.consumers")
                        .hasMessageContaining("must be auto or 1 to 64");
            }
        }
    }
}
