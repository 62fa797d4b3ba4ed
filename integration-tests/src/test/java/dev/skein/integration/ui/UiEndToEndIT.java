package dev.skein.integration.ui;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.ingress.auth.ApiKeys;
import dev.skein.integration.fixtures.KafkaFixture;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The web UI in headless Chromium against a real node: {@code ui-tests/ui-e2e.mjs} (playwright-core
 * driving Debian's chromium) signs in with an operator's API key, asks "what is 12*7?" and sees the
 * calculator call and the answer 84 stream in, opens the turn's decision trace (and the timeline of a
 * trace fixture), approves and denies calls of {@code noop} (held for approval by the
 * configuration), cancels a turn whose call is held, keeps hostile text as text, finds the session in the list,
 * and sees a second worker appear in the pools view once this test starts it. Screenshots are kept
 * in {@code target/ui-screenshots}.
 *
 * <p>The browser and the npm packages are prerequisites, not optional: without them the test fails
 * and says how to install them ({@code .ci/run} does), rather than passing without having looked at
 * the UI.
 */
@Tag("ui")
class UiEndToEndIT {

    private static final Path SCRIPTS = Path.of("ui-tests");
    private static final String SECOND_WORKER = "ui-second-worker";
    private static final String START_SECOND_WORKER = "SKEIN-UI-TEST start-second-worker";
    /** "required": the trace step needs the real timeline; "optional" also accepts "trace not available". */
    private static final String TRACE = System.getProperty("skein.ui.trace", "required");

    private static final Map<String, Object> shared = new HashMap<>();
    private static SkeinNode node;
    private static final AtomicReference<SkeinNode> secondWorker = new AtomicReference<>();
    private static String key;
    private static Path chromium;

    @BeforeAll
    static void start() throws Exception {
        // The prerequisites first: a missing browser fails at once, before a node is started.
        chromium = chromium();
        assertThat(SCRIPTS.resolve("node_modules/playwright-core"))
                .as("the ui tests' npm packages are missing: run 'npm ci --prefix integration-tests/ui-tests'"
                        + " (.ci/run does)")
                .isDirectory();
        String name = KafkaFixture.uniqueName("ui");
        shared.put("skein.kafka.bootstrap-servers", KafkaFixture.bootstrapServers());
        shared.put("skein.topics.prefix", name + ".");
        shared.put("skein.streams.application-id", name);
        shared.put("skein.agents.share-group", name + "-agents");
        shared.put("skein.session.default-agent", "demo");
        shared.put("skein.session.approvals.tools", List.of("noop"));
        shared.put("skein.http.port", 0);
        key = ApiKeys.generate();
        shared.put("skein.auth.enabled", true);
        shared.put(
                "skein.auth.api-keys",
                List.of(Map.of(
                        "id",
                        ApiKeys.idOf(key),
                        "sha256",
                        ApiKeys.sha256(key),
                        "tenant",
                        "acme",
                        "roles",
                        List.of("operator"))));
        node = SkeinNode.start(config(Map.of()), Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false);
    }

    @AfterAll
    static void stop() {
        SkeinNode second = secondWorker.get();
        if (second != null) {
            second.close();
        }
        if (node != null) {
            node.close();
        }
    }

    @Test
    void theUiChatsTracesApprovesListsAndShowsANewWorker() throws Exception {
        Path screenshots = Path.of("target", "ui-screenshots");
        Files.createDirectories(screenshots);

        ProcessBuilder builder = new ProcessBuilder("node", "ui-e2e.mjs")
                .directory(SCRIPTS.toFile())
                .redirectErrorStream(true);
        Map<String, String> env = builder.environment();
        env.put("SKEIN_UI_URL", "http://127.0.0.1:" + node.httpPort().orElseThrow());
        env.put("SKEIN_UI_CREDENTIAL", key);
        env.put("SKEIN_UI_TRACE", TRACE);
        env.put("SKEIN_UI_SCREENSHOTS", screenshots.toAbsolutePath().toString());
        env.put("SKEIN_UI_SECOND_WORKER", SECOND_WORKER);
        env.put("CHROMIUM", chromium.toString());
        Process script;
        try {
            script = builder.start();
        } catch (IOException e) {
            throw new AssertionError("cannot run node (needed for the ui tests): install Node.js 18 or newer", e);
        }
        // Each of the script's waits is bounded; this bounds the whole in case the browser hangs.
        CompletableFuture.delayedExecutor(8, TimeUnit.MINUTES).execute(script::destroyForcibly);
        StringBuilder output = new StringBuilder();
        try (BufferedReader lines =
                new BufferedReader(new InputStreamReader(script.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                System.out.println("[ui-e2e] " + line);
                output.append(line).append('\n');
                if (line.equals(START_SECOND_WORKER)) {
                    secondWorker.set(SkeinNode.start(
                            config(Map.of("skein.worker.id", SECOND_WORKER, "skein.worker.tiers", List.of("small"))),
                            Set.of(Role.WORKER),
                            false));
                }
            }
        } finally {
            if (!script.waitFor(30, TimeUnit.SECONDS)) {
                script.destroyForcibly();
            }
        }

        assertThat(script.exitValue()).as("ui-e2e.mjs failed:\n%s", output).isZero();
        assertThat(output.toString())
                .contains("answer streamed: ")
                .containsAnyOf("trace: timeline", "trace: not available")
                .contains(START_SECOND_WORKER)
                .contains("ui e2e: all 10 steps passed");
        assertThat(secondWorker.get()).as("the second worker was started").isNotNull();
        assertThat(screenshots.resolve("02-chat-answer.png")).isNotEmptyFile();
        assertThat(screenshots.resolve("07-pools.png")).isNotEmptyFile();
    }

    /** A node of this test's deployment (same broker, topics and keys) with a data directory of its own. */
    private static SkeinConfig config(Map<String, Object> overrides) throws IOException {
        Map<String, Object> keys = new HashMap<>(shared);
        keys.put("skein.data-dir", Files.createTempDirectory("skein-ui").toString());
        keys.putAll(overrides);
        return SkeinConfig.load(Optional.empty(), keys);
    }

    /** Debian's chromium ($CHROMIUM, else on the PATH); the test fails with how to install it. */
    private static Path chromium() {
        String named = System.getenv("CHROMIUM");
        if (named != null && !named.isBlank()) {
            if (!Files.isExecutable(Path.of(named))) {
                throw new AssertionError("CHROMIUM=" + named + " is not an executable file: point it at a Chromium"
                        + " binary, or unset it to use Debian's chromium ('apt-get install -y chromium')");
            }
            return Path.of(named);
        }
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, "chromium");
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        throw new AssertionError("the ui tests need Debian's chromium: run 'apt-get install -y chromium'"
                + " (.ci/run installs it when 'command -v chromium' fails), or set CHROMIUM to a Chromium binary");
    }
}
