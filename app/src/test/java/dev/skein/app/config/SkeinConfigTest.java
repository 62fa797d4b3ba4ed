package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.DoubleTexting;
import dev.skein.topologies.context.ContextBudget;
import dev.skein.topologies.context.ContextSettings;
import dev.skein.topologies.context.Tokenizer;
import dev.skein.topologies.session.ApprovalPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SkeinConfigTest {

    @TempDir
    Path dir;

    @Test
    void flagsWinOverTheEnvironmentWhichWinsOverTheFileWhichWinsOverTheDefaults() throws Exception {
        Path file = dir.resolve("skein.conf");
        Files.writeString(
                file, "skein.streams.commit-interval = 30ms\nskein.streams.threads = 3\nskein.http.port = 9000\n");
        SkeinConfig config = SkeinConfig.load(
                Optional.of(file),
                Map.of("skein.http.port", 9100),
                Map.of("SKEIN_STREAMS_THREADS", "2", "SKEIN_HTTP_PORT", "9200"));

        assertThat(config.httpPort()).isEqualTo(9100);
        assertThat(config.streamThreads()).isEqualTo(2);
        assertThat(config.commitInterval()).isEqualTo(Duration.ofMillis(30));
        assertThat(config.standbyReplicas()).isZero();
    }

    @Test
    void theDefaultsAreReferenceConfs() {
        // reference.conf is the one place defaults are written; the components' builders require them.
        SkeinConfig defaults = SkeinConfig.load(Optional.empty(), Map.of(), Map.of());

        assertThat(defaults.httpHost()).isEqualTo("127.0.0.1");
        assertThat(defaults.httpPort()).isEqualTo(8080);
        assertThat(defaults.sessionTopology().workerTimeout()).isEqualTo(Duration.ofSeconds(15));
        assertThat(defaults.workerMaxInFlight()).isEqualTo(16);
        assertThat(defaults.heartbeatInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(defaults.agentTimeout()).isEqualTo(Duration.ofSeconds(25));
        assertThat(defaults.tiers()).extracting(t -> t.name()).containsExactly("small", "large", "highmem", "gpu");
    }

    @Test
    void contextBudgetsComeFromTheDefaultsAndEachAgentsOwnBlock() throws Exception {
        Path file = dir.resolve("skein.conf");
        Files.writeString(file, """
                skein.agents.definitions {
                  support { kind = demo, system-prompt = "Be brief.", context { max-tokens = 8000, tokenizer = o200k_base } }
                }
                skein.session.summaries { summarizer = support, after-messages = 12 }
                """);

        ContextSettings context = SkeinConfig.load(Optional.of(file), Map.of(), Map.of())
                .sessionTopology()
                .context();

        assertThat(context.budgetOf("support"))
                .isEqualTo(new ContextBudget(8000, 4096, Tokenizer.O200K_BASE, 4000, "Be brief."));
        assertThat(context.budgetOf("demo")).isEqualTo(new ContextBudget(128000, 4096, Tokenizer.ESTIMATE, 4000, ""));
        assertThat(context.summaries().summarizerFor("demo")).isEqualTo("support");
        assertThat(context.summaries().afterMessages()).isEqualTo(12);
        assertThat(SkeinConfig.defaults()
                        .sessionTopology()
                        .context()
                        .summaries()
                        .summarizerFor("demo"))
                .isEqualTo("demo");
        // The budget is the topology's: the adapter does not get it among its options.
        assertThat(SkeinConfig.load(Optional.of(file), Map.of(), Map.of()).agents().stream()
                        .filter(a -> a.name().equals("support"))
                        .findFirst()
                        .orElseThrow()
                        .options())
                .doesNotContainKeys("context.max-tokens", "context.tokenizer");
    }

    @Test
    void aBadContextBudgetNamesItsKey() {
        assertThatThrownBy(() -> SkeinConfig.load(
                                Optional.empty(), Map.of(), Map.of("SKEIN_AGENTS_CONTEXT_TOKENIZER", "llama"))
                        .sessionTopology())
                .hasMessageContaining("skein.agents.context")
                .hasMessageContaining("cl100k_base, o200k_base, estimate");
        assertThatThrownBy(() -> SkeinConfig.load(
                                Optional.empty(), Map.of(), Map.of("SKEIN_AGENTS_CONTEXT_RESERVE_FOR_ANSWER", "200000"))
                        .sessionTopology())
                .hasMessageContaining("skein.agents.context")
                .hasMessageContaining("reserve-for-answer");
        assertThatThrownBy(() -> SkeinConfig.load(
                                Optional.empty(), Map.of(), Map.of("SKEIN_SESSION_SUMMARIES_SUMMARIZER", "nobody"))
                        .sessionTopology())
                .hasMessageContaining("skein.session.summaries")
                .hasMessageContaining("summarizer 'nobody' is not an agent");
    }

    @Test
    void sessionsOfAgentsThatKeepTheirOwnConversationAreNotSummarized() throws Exception {
        Path file = dir.resolve("skein.conf");
        Files.writeString(file, """
                skein.agents.definitions {
                  remote { kind = a2a, card-url = "http://127.0.0.1:9/.well-known/agent-card.json" }
                }
                """);

        var summaries = SkeinConfig.load(Optional.of(file), Map.of(), Map.of())
                .sessionTopology()
                .context()
                .summaries();

        assertThat(summaries.summarizes("remote")).isFalse();
        assertThat(summaries.summarizes("demo")).isTrue();
    }

    @Test
    void theDoubleTextingPolicyIsEnqueueByDefaultAndABadOneNamesTheKey() {
        assertThat(SkeinConfig.defaults().sessionTopology().doubleTexting()).isEqualTo(DoubleTexting.ENQUEUE);
        assertThat(SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_SESSION_DOUBLE_TEXTING", "Interrupt"))
                        .doubleTexting())
                .isEqualTo(DoubleTexting.INTERRUPT);
        assertThatThrownBy(() ->
                        SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_SESSION_DOUBLE_TEXTING", "later")))
                .hasMessageContaining("skein.session.double-texting")
                .hasMessageContaining("enqueue, reject, interrupt or rollback");
    }

    @Test
    void tierAndWorkerSizesAreReadByOneRuleInWhichEveryUnitIsBinary() {
        SkeinConfig config = SkeinConfig.load(
                Optional.empty(),
                Map.of(),
                Map.of(
                        "SKEIN_TIERS",
                        "[{name = small, max-cpus = 1, max-memory = 32GB}]",
                        "SKEIN_WORKER_MEMORY",
                        "32g"));

        long gib = 1L << 30;
        assertThat(config.tiers().getFirst().maxMemoryBytes()).isEqualTo(32 * gib);
        assertThat(config.workerMemoryBytes()).contains(32 * gib);
        assertThat(SkeinConfig.defaults().tiers().getFirst().maxMemoryBytes()).isEqualTo(gib);
        assertThatThrownBy(() -> SkeinConfig.load(
                        Optional.empty(),
                        Map.of(),
                        Map.of("SKEIN_TIERS", "[{name = small, max-cpus = 1, max-memory = lots}]")))
                .hasMessageContaining("skein.tiers[0]")
                .hasMessageContaining("'lots' is not a size");
    }

    @Test
    void httpTimeoutsComeFromReferenceConfAndTheEnvironment() {
        SkeinConfig defaults = SkeinConfig.load(Optional.empty(), Map.of(), Map.of());
        SkeinConfig set = SkeinConfig.load(
                Optional.empty(),
                Map.of(),
                Map.of("SKEIN_HTTP_IDLE_TIMEOUT", "3m", "SKEIN_HTTP_REQUEST_HEADER_TIMEOUT", "500ms"));

        assertThat(defaults.httpIdleTimeout()).isEqualTo(Duration.ofSeconds(150));
        assertThat(defaults.httpRequestHeaderTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(set.httpIdleTimeout()).isEqualTo(Duration.ofMinutes(3));
        assertThat(set.httpRequestHeaderTimeout()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void streamSettingsComeFromReferenceConfAndABadOneNamesItsKey() {
        SkeinConfig defaults = SkeinConfig.load(Optional.empty(), Map.of(), Map.of());
        assertThat(defaults.deltasRetention()).isEqualTo(Duration.ofHours(24));
        assertThat(defaults.streamSettings().heartbeat()).isEqualTo(Duration.ofSeconds(15));
        assertThat(defaults.streamSettings().replayReaders()).isEqualTo(2);
        assertThat(defaults.streamSettings().maxPendingEvents()).isEqualTo(10_000);
        assertThat(defaults.streamSettings().turnLookback()).isEqualTo(Duration.ofMinutes(15));
        assertThatThrownBy(() ->
                        SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_EVENT_STREAMS_REPLAY_READERS", "0")))
                .hasMessageContaining("skein.event-streams.replay-readers");
        assertThatThrownBy(() ->
                        SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_TOPICS_DELTAS_RETENTION", "0s")))
                .hasMessageContaining("skein.topics.deltas-retention");
    }

    @Test
    void theTopologysTransactionTimeoutIsFiveSecondsAndMustOutlastACommitInterval() {
        assertThat(SkeinConfig.load(Optional.empty(), Map.of(), Map.of()).streamsTransactionTimeout())
                .isEqualTo(Duration.ofSeconds(5));
        assertThat(SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_STREAMS_TRANSACTION_TIMEOUT", "1500ms"))
                        .streamsTransactionTimeout())
                .isEqualTo(Duration.ofMillis(1500));
        assertThatThrownBy(() -> SkeinConfig.load(
                        Optional.empty(), Map.of(), Map.of("SKEIN_STREAMS_TRANSACTION_TIMEOUT", "10ms")))
                .hasMessageContaining("skein.streams.transaction-timeout")
                .hasMessageContaining("commit-interval");
    }

    @Test
    void shareGroupSessionTimeoutsAreTheBrokersUnlessSet() {
        assertThat(SkeinConfig.load(Optional.empty(), Map.of(), Map.of()).agentSessionTimeout())
                .isEmpty();
        assertThat(SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_AGENTS_SESSION_TIMEOUT", "3s"))
                        .agentSessionTimeout())
                .contains(Duration.ofSeconds(3));
        assertThatThrownBy(() ->
                        SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_AGENTS_SESSION_TIMEOUT", "soon")))
                .hasMessageContaining("skein.agents.session-timeout");
        assertThat(SkeinConfig.load(Optional.empty(), Map.of(), Map.of()).workerSessionTimeout())
                .isEmpty();
        assertThat(SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_WORKER_SESSION_TIMEOUT", "2500ms"))
                        .workerSessionTimeout())
                .contains(Duration.ofMillis(2500));
    }

    @Test
    void minInsyncReplicasIsTheBrokersUnlessSetAndAtMostTheReplicationFactor() {
        assertThat(SkeinConfig.load(Optional.empty(), Map.of(), Map.of()).createdTopicConfigs())
                .isEmpty();
        SkeinConfig replicated = SkeinConfig.load(
                Optional.empty(),
                Map.of(),
                Map.of("SKEIN_TOPICS_REPLICATION_FACTOR", "3", "SKEIN_TOPICS_MIN_INSYNC_REPLICAS", "2"));
        assertThat(replicated.replicationFactor()).isEqualTo((short) 3);
        assertThat(replicated.createdTopicConfigs()).containsExactly(Map.entry("min.insync.replicas", "2"));
        assertThatThrownBy(() -> SkeinConfig.load(
                        Optional.empty(),
                        Map.of(),
                        Map.of("SKEIN_TOPICS_REPLICATION_FACTOR", "3", "SKEIN_TOPICS_MIN_INSYNC_REPLICAS", "4")))
                .hasMessageContaining("skein.topics.min-insync-replicas")
                .hasMessageContaining("between 1 and skein.topics.replication-factor (3)");
        assertThatThrownBy(() ->
                        SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_TOPICS_REPLICATION_FACTOR", "0")))
                .hasMessageContaining("skein.topics.replication-factor");
    }

    @Test
    void streamsPropertiesKeepTheirDottedNamesQuotedOrNot() throws Exception {
        Path file = dir.resolve("skein.conf");
        Files.writeString(file, """
                skein.streams.properties {
                  "max.task.idle.ms" = -1
                  producer.compression.type = lz4
                }
                """);
        assertThat(SkeinConfig.load(Optional.of(file), Map.of(), Map.of()).streamsProperties())
                .containsOnly(Map.entry("max.task.idle.ms", "-1"), Map.entry("producer.compression.type", "lz4"));
        assertThat(SkeinConfig.load(
                                Optional.empty(),
                                Map.of(),
                                Map.of("SKEIN_STREAMS_PROPERTIES", "{\"max.task.idle.ms\" = -1}"))
                        .streamsProperties())
                .containsOnly(Map.entry("max.task.idle.ms", "-1"));
        assertThat(SkeinConfig.load(Optional.empty(), Map.of(), Map.of()).streamsProperties())
                .isEmpty();
    }

    @Test
    void approvalsAreReadForEveryScopeAndNoneByDefault() throws Exception {
        Path file = dir.resolve("approvals.conf");
        Files.writeString(file, """
                skein.session.approvals {
                  tools = [deploy, gpu_info]
                  by-agent { support = [calculator] }
                  by-tenant { acme = ["*"], "acme.eu" = [deploy] }
                }
                """);

        ApprovalPolicy approvals = SkeinConfig.load(Optional.of(file), Map.of(), Map.of())
                .sessionTopology()
                .approvals();

        assertThat(approvals.tools()).containsExactlyInAnyOrder("deploy", "gpu_info");
        assertThat(approvals.byAgent()).isEqualTo(Map.of("support", Set.of("calculator")));
        assertThat(approvals.byTenant()).isEqualTo(Map.of("acme", Set.of("*"), "acme.eu", Set.of("deploy")));
        assertThat(approvals.requires("noop", "demo", "acme")).isTrue();
        assertThat(approvals.requires("calculator", "support", "globex")).isTrue();
        assertThat(approvals.requires("calculator", "demo", "globex")).isFalse();
        assertThat(SkeinConfig.defaults().sessionTopology().approvals()).isEqualTo(ApprovalPolicy.NONE);
        assertThat(SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_SESSION_APPROVALS_TOOLS", "[deploy]"))
                        .approvals()
                        .tools())
                .containsExactly("deploy");
        assertThat(SkeinConfig.load(
                                Optional.empty(),
                                Map.of(),
                                Map.of("SKEIN_SESSION_APPROVALS_BY_TENANT", "{ acme = [deploy] }"))
                        .approvals()
                        .byTenant())
                .isEqualTo(Map.of("acme", Set.of("deploy")));
    }

    @Test
    void badApprovalsFailAtStartNamingTheKey() {
        assertThatThrownBy(() -> load("skein.session.approvals.tools = [Deploy]"))
                .hasMessageContaining("skein.session.approvals.tools")
                .hasMessageContaining("'Deploy' is not a tool name");
        assertThatThrownBy(() -> load("skein.session.approvals.tools = deploy"))
                .hasMessageContaining("skein.session.approvals.tools")
                .hasMessageContaining("must be a list of tool names");
        assertThatThrownBy(() -> load("skein.session.approvals.by-agent.support = calculator"))
                .hasMessageContaining("skein.session.approvals.by-agent.support")
                .hasMessageContaining("must be a list of tool names");
        assertThatThrownBy(() -> load("skein.session.approvals.by-agent = [calculator]"))
                .hasMessageContaining("skein.session.approvals.by-agent")
                .hasMessageContaining("must be an object of tool lists by name");
        assertThatThrownBy(() -> load("skein.session.approvals.by-tenant { \"a/b\" = [deploy] }"))
                .hasMessageContaining("skein.session.approvals.by-tenant.\"a/b\"")
                .hasMessageContaining("is not a tenant");
        assertThatThrownBy(() -> load("skein.session.approvals.by-tenant.acme = [1]"))
                .hasMessageContaining("skein.session.approvals.by-tenant.acme")
                .hasMessageContaining("'1' is not a tool name");
        assertThatThrownBy(() -> load("skein.session.approvals.by-agents { support = [calculator] }"))
                .hasMessageContaining("skein.session.approvals.by-agents")
                .hasMessageContaining("unknown key");
    }

    private SkeinConfig load(String text) throws Exception {
        Path file = dir.resolve("bad.conf");
        Files.writeString(file, text);
        return SkeinConfig.load(Optional.of(file), Map.of(), Map.of());
    }
}
