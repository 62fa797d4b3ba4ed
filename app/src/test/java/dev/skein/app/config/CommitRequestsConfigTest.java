package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.schemas.kafka.Dispatch;
import dev.skein.topologies.session.CommitRequests;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code skein.streams.requested-commits}, and the commit interval Kafka Streams gets with it. */
class CommitRequestsConfigTest {

    @Test
    void offByDefaultAndKafkaStreamsCommitsEveryCommitInterval() {
        SkeinConfig defaults = SkeinConfig.defaults();

        assertThat(defaults.commitRequests()).isEqualTo(CommitRequests.OFF);
        assertThat(defaults.commitInterval()).isEqualTo(Duration.ofMillis(10));
    }

    @Test
    void onItTakesTheDispatchOfTheAgentsAndEveryTierAndTheFallbackBecomesTheInterval() {
        SkeinConfig config = SkeinConfig.load(
                Optional.empty(),
                Map.of(),
                Map.of(
                        "SKEIN_STREAMS_REQUESTED_COMMITS_ENABLED",
                        "true",
                        "SKEIN_STREAMS_REQUESTED_COMMITS_MIN_SPACING",
                        "3ms",
                        "SKEIN_STREAMS_REQUESTED_COMMITS_FALLBACK_INTERVAL",
                        "250ms",
                        "SKEIN_AGENTS_DISPATCH",
                        "speculative",
                        "SKEIN_WORKER_DISPATCH",
                        "by-tool",
                        "SKEIN_TIERS",
                        "[{name = small, max-cpus = 1, max-memory = 1GiB},"
                                + " {name = large, max-cpus = 8, max-memory = 32GiB, dispatch = committed}]"));

        CommitRequests commits = config.commitRequests();
        assertThat(commits.enabled()).isTrue();
        assertThat(commits.minSpacing()).isEqualTo(Duration.ofMillis(3));
        assertThat(commits.agents()).isEqualTo(Dispatch.SPECULATIVE);
        assertThat(commits.tiers())
                .containsExactlyInAnyOrderEntriesOf(Map.of("small", Dispatch.BY_TOOL, "large", Dispatch.COMMITTED));
        assertThat(config.commitInterval()).isEqualTo(Duration.ofMillis(250));
    }

    @Test
    void aNegativeDurationNamesItsKey() {
        assertThatThrownBy(() -> SkeinConfig.load(
                                Optional.empty(),
                                Map.of(),
                                Map.of(
                                        "SKEIN_STREAMS_REQUESTED_COMMITS_ENABLED", "true",
                                        "SKEIN_STREAMS_REQUESTED_COMMITS_SPECULATIVE_GRACE", "-1ms"))
                        .commitRequests())
                .hasMessageContaining("skein.streams.requested-commits.speculative-grace");
    }

    @Test
    void theTransactionTimeoutMustOutlastTheFallbackInterval() {
        assertThatThrownBy(() -> SkeinConfig.load(
                        Optional.empty(),
                        Map.of(),
                        Map.of(
                                "SKEIN_STREAMS_REQUESTED_COMMITS_ENABLED", "true",
                                "SKEIN_STREAMS_REQUESTED_COMMITS_FALLBACK_INTERVAL", "10s")))
                .hasMessageContaining("skein.streams.transaction-timeout");
    }
}
