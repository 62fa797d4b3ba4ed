package dev.skein.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.schemas.kafka.Dispatch;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class AgentRunnerOptionsTest {

    private static AgentRunnerOptions.Builder complete() {
        return AgentRunnerOptions.builder()
                .groupId("skein-agents")
                .defaultAgent("demo")
                .agentTimeout(Duration.ofSeconds(25))
                .sessionTimeout(Optional.empty())
                .dispatch(Dispatch.SPECULATIVE);
    }

    @Test
    void keepsWhatWasGivenAndDefaultsOnlyTheInternalTunables() {
        AgentRunnerOptions options = complete().build();

        assertThat(options.groupId()).isEqualTo("skein-agents");
        assertThat(options.defaultAgent()).isEqualTo("demo");
        assertThat(options.agentTimeout()).isEqualTo(Duration.ofSeconds(25));
        assertThat(options.sessionTimeout()).isEmpty();
        assertThat(options.maxInFlight()).isEqualTo(AgentRunnerOptions.DEFAULT_MAX_IN_FLIGHT);
        assertThat(options.pollTimeout()).isEqualTo(AgentRunnerOptions.DEFAULT_POLL_TIMEOUT);
        assertThat(complete().sessionTimeout(Duration.ofSeconds(2)).build().sessionTimeout())
                .contains(Duration.ofSeconds(2));
    }

    @Test
    void namesTheRequiredOptionThatIsMissing() {
        assertThatThrownBy(() -> complete().groupId(null).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("agent runner option groupId is required and was not given");
        assertThatThrownBy(() -> complete().defaultAgent(null).build())
                .hasMessageContaining("option defaultAgent is required");
        assertThatThrownBy(() -> complete().agentTimeout(null).build())
                .hasMessageContaining("option agentTimeout is required");
        assertThatThrownBy(() ->
                        complete().sessionTimeout((Optional<Duration>) null).build())
                .hasMessageContaining("option sessionTimeout is required");
    }

    @Test
    void refusesValuesNoRunnerCanWorkWith() {
        assertThatThrownBy(() -> complete().groupId(" ").build()).hasMessage("groupId must not be blank");
        assertThatThrownBy(() -> complete().agentTimeout(Duration.ZERO).build())
                .hasMessageContaining("agentTimeout must be positive");
        assertThatThrownBy(() -> complete().maxInFlight(0).build()).hasMessageContaining("maxInFlight must be");
    }
}
