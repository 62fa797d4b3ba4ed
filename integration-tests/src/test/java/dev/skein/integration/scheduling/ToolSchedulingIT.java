package dev.skein.integration.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.Skein;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.process.ChildJvm;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.SkeinClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.StreamSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Resource-aware scheduling with real worker processes ({@code skein worker} in their own JVMs)
 * of different declared capabilities, a session topology and an agent in this JVM, on a real
 * broker. The agent ({@link ScriptedAgent}) calls whatever tools the user's message names.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@Tag("scheduling")
class ToolSchedulingIT {

    private static final Map<String, Process> workers = new HashMap<>();
    private static String prefix;
    private static Path logs;
    private static SkeinNode core;
    private static SkeinClient client;

    @BeforeAll
    static void start() throws Exception {
        prefix = KafkaFixture.uniqueName("sched") + ".";
        logs = Files.createTempDirectory("skein-sched");
        core = SkeinNode.start(
                SkeinConfig.load(
                        Optional.empty(),
                        Map.of(
                                "skein.kafka.bootstrap-servers",
                                KafkaFixture.bootstrapServers(),
                                "skein.data-dir",
                                logs.resolve("core").toString(),
                                "skein.topics.prefix",
                                prefix,
                                "skein.session.default-agent",
                                ScriptedAgent.NAME,
                                "skein.http.port",
                                0),
                        Map.of()),
                Set.of(Role.CORE, Role.AGENTS),
                false,
                List.of(new ScriptedAgent()));
        client = new SkeinClient(core.httpPort().orElseThrow());
        // Work held by a killed worker comes back after the lock duration: 5 s instead of 30 s.
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", KafkaFixture.bootstrapServers()))) {
            ConfigResource group =
                    new ConfigResource(ConfigResource.Type.GROUP, core.topics().workerGroup("small"));
            admin.incrementalAlterConfigs(Map.of(
                            group,
                            List.of(new AlterConfigOp(
                                    new ConfigEntry("share.record.lock.duration.ms", "5000"),
                                    AlterConfigOp.OpType.SET))))
                    .all()
                    .get(30, TimeUnit.SECONDS);
        }
        startWorker("small-a", "--tier", "small", "--cpus", "2", "--memory", "4g", "--gpus", "0");
        startWorker("big", "--tier", "large", "--cpus", "16", "--memory", "64g", "--gpus", "0");
        startWorker("gpu", "--tier", "gpu", "--cpus", "8", "--memory", "32g", "--gpus", "1");
        awaitLive("small-a", "big", "gpu");
    }

    @AfterAll
    static void stop() throws InterruptedException {
        for (Process process : workers.values()) {
            process.destroy();
        }
        for (Process process : workers.values()) {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        }
        if (core != null) {
            core.close();
        }
    }

    @Test
    @Order(1)
    void everyCallRunsOnAWorkerThatFitsIt() {
        for (int round = 0; round < 4; round++) {
            List<String> lines = ask(
                    "fit-" + round,
                    call("gpu_infer", round),
                    call("big_memory", round),
                    call("small_job", round),
                    call("gpu_infer", round + 10),
                    call("small_job", round + 10));
            assertThat(lines).hasSize(5);
            for (String line : lines) {
                String[] parts = line.split("\\|");
                assertThat(parts[2]).as(line).isEqualTo("OK");
                String expected = switch (parts[0]) {
                    case "gpu_infer" -> "gpu";
                    case "big_memory" -> "big";
                    default -> "small-a";
                };
                assertThat(parts[1]).as(line).isEqualTo(expected);
            }
        }
        JsonNode workersView = client.send(
                        java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl() + "/v1/workers"))
                                .GET())
                .body()
                .path("workers");
        assertThat(StreamSupport.stream(workersView.spliterator(), false)
                        .map(w -> w.path("id").asText()))
                .contains("small-a", "big", "gpu");
        String metrics = metrics();
        // Tier figures come from the workers' heartbeats and the share groups' offsets.
        assertThat(metrics)
                .contains("skein_tier_workers_live{tier=\"gpu\"}")
                .contains("skein_tier_queue_depth{tier=\"small\"}");
    }

    @Test
    @Order(2)
    void invalidArgumentsAndUnknownToolsAreAnsweredWithoutDispatchAndTheTurnGoesOn() {
        List<String> lines = ask(
                "refused",
                call("small_job", 1),
                "{\"tool\":\"small_job\",\"arguments\":{\"label\":7,\"extra\":true}}",
                "{\"tool\":\"teleport\",\"arguments\":{}}");
        assertThat(lines.get(0)).startsWith("small_job|small-a|OK");
        assertThat(lines.get(1)).startsWith("small_job|null|ERROR|invalid arguments for small_job");
        assertThat(lines.get(2)).startsWith("teleport|null|ERROR|unknown tool 'teleport'");
    }

    @Test
    @Order(3)
    void withTheGpuWorkerStoppedAGpuCallGetsAClearErrorAndTheTurnCompletes() throws Exception {
        Process gpu = workers.remove("gpu");
        gpu.destroy(); // SIGTERM: the worker says in a last heartbeat that it is stopping
        assertThat(gpu.waitFor(30, TimeUnit.SECONDS)).isTrue();

        long start = System.nanoTime();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> ask("gpu-gone-" + System.nanoTime(), call("gpu_infer", 1))
                        .getFirst()
                        .contains("no live worker with tool gpu_infer serves tier gpu"));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        List<String> lines = ask("gpu-gone", call("gpu_infer", 2), call("small_job", 2));
        assertThat(lines.get(0))
                .contains("|null|ERROR|")
                .contains("no live worker with tool gpu_infer serves tier gpu");
        assertThat(lines.get(1)).startsWith("small_job|small-a|OK");
    }

    @Test
    @Order(4)
    void aWorkerKilledMidTaskLosesNothingAndTheCallHasExactlyOneResult() throws Exception {
        startWorker("small-b", "--tier", "small", "--cpus", "2", "--memory", "4g", "--gpus", "0");
        awaitLive("small-b");
        String session = "killed-mid-task";
        SkeinClient.Response accepted =
                client.postTurn(session, "{\"calls\":[{\"tool\":\"sleep\",\"arguments\":{\"ms\":4000}}]}", false);
        assertThat(accepted.status()).isEqualTo(202);
        // The worker that took the call says so on the session's deltas; kill exactly that one.
        String runner = await().atMost(Duration.ofSeconds(30)).until(() -> whoRuns(session), w -> w != null);
        Process victim = workers.remove(runner);
        victim.destroyForcibly(); // SIGKILL mid-task
        assertThat(victim.waitFor(30, TimeUnit.SECONDS)).isTrue();

        JsonNode messages = await().atMost(Duration.ofSeconds(60))
                .until(() -> client.history(session).body().path("messages"), m -> m.size() >= 4);
        List<JsonNode> toolMessages = StreamSupport.stream(messages.spliterator(), false)
                .filter(m -> m.path("role").asText().equals("tool"))
                .toList();
        assertThat(toolMessages).hasSize(1);
        assertThat(toolMessages.getFirst().path("toolStatus").asText()).isEqualTo("OK");
        assertThat(toolMessages.getFirst().path("worker").asText())
                .isNotEqualTo(runner)
                .startsWith("small-");
        assertThat(toolMessages.getFirst().path("deliveryCount").asInt()).isGreaterThanOrEqualTo(2);
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static String call(String tool, int label) {
        return "{\"tool\":\"" + tool + "\",\"arguments\":{\"label\":\"" + tool + "-" + label + "\"}}";
    }

    /** Posts a turn naming the calls, waits, and returns the agent's answer: one line per result. */
    private static List<String> ask(String session, String... calls) {
        SkeinClient.Response response = client.postTurn(session, "{\"calls\":[" + String.join(",", calls) + "]}", true);
        assertThat(response.status()).as(response.body().toString()).isEqualTo(200);
        assertThat(response.body().path("status").asText())
                .as(response.body().toString())
                .isEqualTo("COMPLETED");
        return Arrays.asList(response.body().path("answer").asText().split("\n"));
    }

    private static String whoRuns(String session) {
        JsonNode messages = client.history(session).body().path("messages");
        if (messages.size() < 2) {
            return null;
        }
        // Which live small worker holds the call: the one whose heartbeat shows it in flight.
        JsonNode view = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl() + "/v1/workers"))
                        .GET())
                .body()
                .path("workers");
        for (JsonNode worker : view) {
            if (worker.path("id").asText().startsWith("small-")
                    && worker.path("inFlight").asInt() > 0
                    && workers.containsKey(worker.path("id").asText())) {
                return worker.path("id").asText();
            }
        }
        return null;
    }

    private static String metrics() {
        try {
            return java.net.http.HttpClient.newHttpClient()
                    .send(
                            java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl() + "/metrics"))
                                    .GET()
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString())
                    .body();
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String baseUrl() {
        return "http://127.0.0.1:" + core.httpPort().orElseThrow();
    }

    private static void startWorker(String id, String... flags) throws IOException {
        List<String> arguments = new ArrayList<>(
                List.of("worker", "--bootstrap-servers", KafkaFixture.bootstrapServers(), "--worker-id", id));
        arguments.addAll(List.of(flags));
        ProcessBuilder builder = new ProcessBuilder(ChildJvm.command(List.of(), Skein.class.getName(), arguments))
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        logs.resolve(id + ".log").toFile()));
        builder.environment().put("SKEIN_TOPICS_PREFIX", prefix);
        builder.environment().put("SKEIN_DATA_DIR", logs.resolve(id).toString());
        builder.environment().put("SKEIN_WORKER_HEARTBEAT_INTERVAL", "1s");
        workers.put(id, builder.start());
    }

    private static void awaitLive(String... ids) {
        await().atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(300))
                .untilAsserted(() -> {
                    for (String id : ids) {
                        assertThat(workers.get(id).isAlive())
                                .as(id + " is running (log in " + logs + ")")
                                .isTrue();
                    }
                    JsonNode view = client.send(
                                    java.net.http.HttpRequest.newBuilder(java.net.URI.create(baseUrl() + "/v1/workers"))
                                            .GET())
                            .body()
                            .path("workers");
                    List<String> live = StreamSupport.stream(view.spliterator(), false)
                            .filter(w -> w.path("live").asBoolean())
                            .map(w -> w.path("id").asText())
                            .toList();
                    assertThat(live).contains(ids);
                });
    }
}
