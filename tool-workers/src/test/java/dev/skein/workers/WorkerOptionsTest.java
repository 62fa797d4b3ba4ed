package dev.skein.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.schemas.kafka.Dispatch;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.node.NodeCapabilities;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class WorkerOptionsTest {

    private static WorkerOptions.Builder complete() {
        return WorkerOptions.builder()
                .workerId("w1")
                .tiers(List.of("small", "large", "small"))
                .capabilities(NodeCapabilities.of(Resources.DEFAULT))
                .heartbeatInterval(Duration.ofSeconds(5))
                .maxInFlight(16)
                .sessionTimeout(Optional.empty())
                .dispatch(tier -> tier.equals("small") ? Dispatch.BY_TOOL : Dispatch.COMMITTED);
    }

    @Test
    void keepsWhatWasGivenAndDefaultsOnlyTheInternalTunables() {
        WorkerOptions options = complete().build();

        assertThat(options.workerId()).isEqualTo("w1");
        assertThat(options.tiers()).containsExactly("small", "large");
        assertThat(options.maxInFlight()).isEqualTo(16);
        assertThat(options.sessionTimeout()).isEmpty();
        assertThat(options.pollTimeout()).isEqualTo(WorkerOptions.DEFAULT_POLL_TIMEOUT);
        assertThat(options.deliveryLimit()).isEqualTo(WorkerOptions.DEFAULT_DELIVERY_LIMIT);
        assertThat(options.drainTimeout()).isEqualTo(WorkerOptions.DEFAULT_DRAIN_TIMEOUT);
        assertThat(options.dispatch("small")).isEqualTo(Dispatch.BY_TOOL);
        assertThat(options.dispatch("large")).isEqualTo(Dispatch.COMMITTED);
        assertThatThrownBy(() -> options.dispatch("gpu")).hasMessageContaining("does not serve tier gpu");
        assertThat(complete().sessionTimeout(Duration.ofSeconds(3)).build().sessionTimeout())
                .contains(Duration.ofSeconds(3));
    }

    @Test
    void namesTheRequiredOptionThatIsMissing() {
        assertThatThrownBy(() -> complete().workerId(null).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("worker option workerId is required and was not given");
        assertThatThrownBy(() -> complete().tiers(null).build()).hasMessageContaining("option tiers is required");
        assertThatThrownBy(() -> complete().capabilities(null).build())
                .hasMessageContaining("option capabilities is required");
        assertThatThrownBy(() -> complete().heartbeatInterval(null).build())
                .hasMessageContaining("option heartbeatInterval is required");
        assertThatThrownBy(() -> WorkerOptions.builder()
                        .workerId("w1")
                        .tier("small")
                        .capabilities(NodeCapabilities.of(Resources.DEFAULT))
                        .heartbeatInterval(Duration.ofSeconds(5))
                        .sessionTimeout(Optional.empty())
                        .build())
                .hasMessageContaining("option maxInFlight is required");
        assertThatThrownBy(() ->
                        complete().sessionTimeout((Optional<Duration>) null).build())
                .hasMessageContaining("option sessionTimeout is required");
        assertThatThrownBy(() -> complete()
                        .dispatch((java.util.function.Function<String, Dispatch>) null)
                        .build())
                .hasMessageContaining("option dispatch is required");
    }

    @Test
    void refusesValuesNoWorkerCanRunWith() {
        assertThatThrownBy(() -> complete().workerId(" ").build()).hasMessage("workerId must not be blank");
        assertThatThrownBy(() -> complete().tiers(List.of()).build()).hasMessage("a worker needs at least one tier");
        assertThatThrownBy(() -> complete().tier("GPU").build()).hasMessageContaining("must be 1 to 64 of a-z 0-9 -");
        assertThatThrownBy(() -> complete().maxInFlight(0).build()).hasMessageContaining("maxInFlight must be");
        assertThatThrownBy(() -> complete().deliveryLimit(1).build()).hasMessageContaining("the broker's minimum");
        assertThatThrownBy(() -> complete().heartbeatInterval(Duration.ZERO).build())
                .hasMessageContaining("heartbeatInterval must be positive");
        assertThatThrownBy(() -> complete().drainTimeout(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("drainTimeout must be zero or positive");
    }

    @Test
    void aWorkerWithoutAConfiguredIdIsNamedAfterItsHostAndProcess() {
        assertThat(WorkerOptions.localWorkerId())
                .endsWith("-" + ProcessHandle.current().pid());
    }
}
