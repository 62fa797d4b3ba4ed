package dev.skein.integration.recovery;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.events.AgentStep;
import dev.skein.events.StepKind;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.SkeinUpProcess;
import dev.skein.integration.fixtures.TopicReader;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.EmbeddedSchemaRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Speculative dispatch across a crash of the core (docs/dispatch.md): the core, the agent runners
 * and a worker run as processes of their own, the runners speculative and the tiers by tool (so
 * the calculator, free of side effects, runs speculatively too). The core's commit interval is made far longer than the test, so
 * that every turn runs to its answer inside one open transaction: runners and the worker act on
 * requests no committed reader can see yet. The core is SIGKILLed then (its transaction aborts),
 * and started again: it replays the turns, the runners and the worker answer the replay too, and
 * the topology keeps only the answers to its committed dispatches. Every turn gets exactly one
 * completion, and no history has a gap or a duplicate.
 */
@Tag("recovery")
class SpeculativeDispatchCrashIT {

    private static final int SIMPLE_TURNS = 3;
    private static final int TOOL_TURNS = 3;

    private final List<SkeinUpProcess> processes = new ArrayList<>();

    @AfterEach
    void stopProcesses() throws InterruptedException {
        for (SkeinUpProcess p : processes.reversed()) {
            p.close();
        }
    }

    @Test
    void aCoreKilledBetweenDispatchAndCommitAnswersEveryTurnOnceWithoutGapsOrDuplicates() throws Exception {
        // Nothing commits for minutes (the transaction's timeout above the interval, as Streams requires).
        crashBetweenDispatchAndCommit(
                Map.of("SKEIN_STREAMS_COMMIT_INTERVAL", "5m", "SKEIN_STREAMS_TRANSACTION_TIMEOUT", "10m"), Map.of());
    }

    /**
     * The same with requested commits (docs/dispatch.md): the first completion requests a commit,
     * and the spacing, the grace and the fallback are made longer than the test, so every later
     * turn runs to its completion inside the open transaction. The restarted core requests commits
     * too, with the default spacing.
     */
    @Test
    void withRequestedCommitsTheTurnsOfTheOpenTransactionAreAnsweredOnceAfterTheCrash() throws Exception {
        crashBetweenDispatchAndCommit(
                Map.of(
                        "SKEIN_STREAMS_REQUESTED_COMMITS_ENABLED", "true",
                        "SKEIN_STREAMS_REQUESTED_COMMITS_FALLBACK_INTERVAL", "5m",
                        "SKEIN_STREAMS_REQUESTED_COMMITS_MIN_SPACING", "5m",
                        "SKEIN_STREAMS_REQUESTED_COMMITS_SPECULATIVE_GRACE", "5m",
                        "SKEIN_STREAMS_TRANSACTION_TIMEOUT", "10m"),
                Map.of("SKEIN_STREAMS_REQUESTED_COMMITS_ENABLED", "true"));
    }

    /**
     * @param coreEnv the first core's settings: what keeps turns in its open transaction
     * @param restartEnv the restarted core's
     */
    private void crashBetweenDispatchAndCommit(Map<String, String> coreEnv, Map<String, String> restartEnv)
            throws Exception {
        Path dir = Files.createTempDirectory("skein-speculative-crash");
        String name = KafkaFixture.uniqueName("speculative");
        Path config = dir.resolve("skein.conf");
        Files.writeString(config, """
                skein {
                  topics.prefix = "%1$s."
                  streams.application-id = "%1$s"
                  agents.share-group = "%1$s-agents"
                  session.default-agent = demo
                  worker.heartbeat-interval = 1s
                  agents.dispatch = speculative
                  worker.dispatch = by-tool
                }
                """.formatted(name));
        int httpPort = SkeinUpProcess.freePort();
        SkeinClient client = new SkeinClient(httpPort);
        SkeinUpProcess core = start(role(dir, "core", config).port(httpPort).env(coreEnv));
        start(role(dir, "agents", config));
        start(role(dir, "worker", config).arguments("--worker-id", "speculative-worker"));
        core.awaitHealthy(Duration.ofSeconds(180));
        await().atMost(Duration.ofSeconds(120))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> client.send(java.net.http.HttpRequest.newBuilder(
                                java.net.URI.create("http://127.0.0.1:" + httpPort + "/v1/workers")))
                        .body()
                        .toString()
                        .contains("speculative-worker"));

        Map<String, String> turnOfSession = new LinkedHashMap<>();
        for (int i = 0; i < SIMPLE_TURNS + TOOL_TURNS; i++) {
            String session = "s" + i;
            SkeinClient.Response posted = client.postTurn(session, i < SIMPLE_TURNS ? "hello" : "what is 12*7?", false);
            assertThat(posted.status()).as(posted.body().toString()).isEqualTo(202);
            turnOfSession.put(session, posted.body().path("turnId").asText());
        }

        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(
                KafkaFixture.bootstrapServers(), EmbeddedSchemaRegistry.defaultTopic(name + "."), (short) 1);
        SkeinTopics topics = new SkeinTopics(name + ".", registry);
        try (registry;
                TopicReader<AgentStep> steps = new TopicReader<>(KafkaFixture.bootstrapServers(), topics.agentSteps);
                TopicReader<TurnCompleted> responses = new TopicReader<>(
                        KafkaFixture.bootstrapServers(), topics.responses, IsolationLevel.READ_COMMITTED)) {
            // Every turn answered in full, tool calls included, while the core has committed none of it.
            Map<String, String> speculativeDispatch = new LinkedHashMap<>();
            for (String turnId : turnOfSession.values()) {
                AgentStep answer = steps.await(r -> isFinal(r, turnId), Duration.ofSeconds(120))
                        .value();
                assertThat(answer.getDispatchId()).isNotNull();
                speculativeDispatch.put(turnId, answer.getDispatchId());
            }
            // Only a requested commit makes a completion visible before the kill (the first one).
            List<String> committedBeforeKill = responses.poll(Duration.ofSeconds(1)).stream()
                    .map(r -> r.value().getTurnId())
                    .toList();
            if (restartEnv.isEmpty()) {
                assertThat(committedBeforeKill)
                        .as("completions visible before the core committed")
                        .isEmpty();
            } else {
                assertThat(committedBeforeKill)
                        .as("completions visible before the kill: those of the first requested commit")
                        .isNotEmpty()
                        .hasSizeLessThan(turnOfSession.size());
            }

            core.kill9(); // the open transaction is never committed
            start(role(dir, "core", config).port(httpPort).env(restartEnv)).awaitHealthy(Duration.ofSeconds(180));

            for (String turnId : turnOfSession.values()) {
                responses.await(r -> r.value().getTurnId().equals(turnId), Duration.ofSeconds(120));
            }
            // Long enough for a second completion of any turn to show up.
            responses.poll(Duration.ofSeconds(3));
            Map<String, List<TurnStatus>> completions = responses.seen().stream()
                    .collect(Collectors.groupingBy(
                            r -> r.value().getTurnId(),
                            Collectors.mapping(r -> r.value().getStatus(), Collectors.toList())));
            for (Map.Entry<String, String> turn : turnOfSession.entrySet()) {
                assertThat(completions.get(turn.getValue()))
                        .as("completions of %s", turn)
                        .containsExactly(TurnStatus.COMPLETED);
            }
            responses.seen().stream()
                    .map(ConsumerRecord::value)
                    .filter(c -> c.getSessionId().compareTo("s" + SIMPLE_TURNS) >= 0)
                    .forEach(c -> assertThat(c.getAnswer()).contains("84"));

            // The runners answered the replay too, under another dispatch: the first answers were
            // the aborted pass's, and the topology kept none of them.
            // With requested commits a turn's invocation may have committed with another turn's
            // requested commit while its completion did not: the replay then keeps the committed
            // dispatch and its first answer, and asks for nothing again. So this holds only when
            // nothing committed before the kill.
            for (Map.Entry<String, String> first : speculativeDispatch.entrySet()) {
                if (!committedBeforeKill.isEmpty()) {
                    break;
                }
                steps.await(
                        r -> isFinal(r, first.getKey())
                                && !first.getValue().equals(r.value().getDispatchId()),
                        Duration.ofSeconds(30));
            }
        }

        for (int i = 0; i < SIMPLE_TURNS + TOOL_TURNS; i++) {
            JsonNode history = client.history("s" + i).body().path("messages");
            assertThat(SkeinClient.roles(history))
                    .as("history of s%d", i)
                    .isEqualTo(
                            i < SIMPLE_TURNS
                                    ? List.of("user", "assistant")
                                    : List.of("user", "assistant", "tool", "assistant"));
            assertThat(StreamSupport.stream(history.spliterator(), false)
                            .map(m -> m.path("sequence").asLong())
                            .toList())
                    .as("sequences of s%d", i)
                    .isEqualTo(i < SIMPLE_TURNS ? List.of(0L, 1L) : List.of(0L, 1L, 2L, 3L));
        }
    }

    private static boolean isFinal(ConsumerRecord<String, AgentStep> record, String turnId) {
        return record.value().getTurnId().equals(turnId) && record.value().getKind() == StepKind.FINAL;
    }

    /** {@code skein <role>} on the test's broker, its data in {@code <dir>/<role>}, its log {@code <dir>/<role>.log}. */
    private static SkeinUpProcess.Builder role(Path dir, String role, Path config) {
        return SkeinUpProcess.role(role, dir.resolve(role), dir.resolve(role + ".log"))
                .config(config)
                .arguments("--bootstrap-servers", KafkaFixture.bootstrapServers());
    }

    private SkeinUpProcess start(SkeinUpProcess.Builder builder) throws IOException {
        SkeinUpProcess process = builder.start();
        processes.add(process);
        return process;
    }
}
