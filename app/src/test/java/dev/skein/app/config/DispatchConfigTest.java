package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.schemas.kafka.Dispatch;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code skein.agents.dispatch}, {@code skein.worker.dispatch} and a tier's own {@code dispatch}. */
class DispatchConfigTest {

    @Test
    void agentsAndTiersDispatchCommittedByDefaultAndEitherChangesByItsKey() {
        SkeinConfig defaults = SkeinConfig.defaults();

        assertThat(defaults.agentDispatch()).isEqualTo(Dispatch.COMMITTED);
        assertThat(defaults.tierDispatch("small")).isEqualTo(Dispatch.COMMITTED);
        assertThat(defaults.tierDispatch("gpu")).isEqualTo(Dispatch.COMMITTED);
        SkeinConfig speculative = SkeinConfig.load(
                Optional.empty(),
                Map.of(),
                Map.of("SKEIN_AGENTS_DISPATCH", "speculative", "SKEIN_WORKER_DISPATCH", "by-tool"));
        assertThat(speculative.agentDispatch()).isEqualTo(Dispatch.SPECULATIVE);
        assertThat(speculative.tierDispatch("small")).isEqualTo(Dispatch.BY_TOOL);
    }

    @Test
    void aTierEntrySetsItsOwnDispatchOverTheWorkersDefault() {
        SkeinConfig config = SkeinConfig.load(
                Optional.empty(),
                Map.of(),
                Map.of(
                        "SKEIN_TIERS",
                        "[{name = small, max-cpus = 1, max-memory = 1GiB, dispatch = speculative},"
                                + " {name = large, max-cpus = 8, max-memory = 32GiB}]",
                        "SKEIN_WORKER_DISPATCH",
                        "by-tool"));

        assertThat(config.tierDispatch("small")).isEqualTo(Dispatch.SPECULATIVE);
        assertThat(config.tierDispatch("large")).isEqualTo(Dispatch.BY_TOOL);
    }

    @Test
    void aBadModeNamesItsKeyAndTheModes() {
        assertThatThrownBy(() -> SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_AGENTS_DISPATCH", "eager")))
                .hasMessageContaining("skein.agents.dispatch")
                .hasMessageContaining("committed, speculative, by-tool");
        assertThatThrownBy(
                        () -> SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_AGENTS_DISPATCH", "by-tool")))
                .hasMessageContaining("skein.agents.dispatch")
                .hasMessageContaining("by-tool is for tiers");
        assertThatThrownBy(() -> SkeinConfig.load(
                        Optional.empty(),
                        Map.of(),
                        Map.of("SKEIN_TIERS", "[{name = small, max-cpus = 1, max-memory = 1GiB, dispatch = later}]")))
                .hasMessageContaining("skein.tiers[0].dispatch")
                .hasMessageContaining("'later' is not a dispatch mode");
    }
}
