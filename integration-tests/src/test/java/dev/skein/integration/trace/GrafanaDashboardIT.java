package dev.skein.integration.trace;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code deploy/grafana/skein-dashboard.json} cannot rot silently: every metric its queries name
 * (panels and template variables) is exported by a real node's {@code GET /metrics} after one turn
 * with a tool call. A metric renamed in the code, or a typo in the dashboard, fails here.
 */
@Tag("trace")
class GrafanaDashboardIT {

    /** A PromQL identifier: a metric, a function, a keyword or a label name. */
    private static final Pattern IDENTIFIER = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");

    private static final Pattern LABEL_VALUES = Pattern.compile("label_values\\(\\s*([a-zA-Z_:][a-zA-Z0-9_:]*)");
    private static final Set<String> KEYWORDS = Set.of(
            "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset", "bool");

    @Test
    void everyMetricTheDashboardQueriesIsExportedByARunningNode() throws Exception {
        JsonNode dashboard =
                SkeinClient.JSON.readTree(Files.readString(root().resolve("deploy/grafana/skein-dashboard.json")));
        List<String> queries = new ArrayList<>();
        dashboard.findValues("expr").forEach(e -> queries.add(e.asText()));
        dashboard.path("templating").path("list").forEach(v -> {
            if (v.path("type").asText().equals("query")) {
                queries.add(v.path("definition").asText());
            }
        });
        Set<String> used = new TreeSet<>();
        queries.forEach(q -> used.addAll(metricsOf(q)));
        assertThat(used).as("metrics the dashboard queries").hasSizeGreaterThanOrEqualTo(15);

        try (SkeinNode node = SkeinNode.start(
                TestNodes.config("grafana", Map.of()), Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false)) {
            int port = node.httpPort().orElseThrow();
            SkeinClient client = new SkeinClient(port);
            // One tool turn: the turn, tool call and worker metrics exist from their first event.
            SkeinClient.Response turn = client.postTurn("dashboard", "what is 12*7?", true);
            assertThat(turn.body().path("answer").asText())
                    .as(turn.body().toString())
                    .contains("84");
            String metrics = HttpClient.newHttpClient()
                    .send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString())
                    .body();
            Set<String> exported = metrics.lines()
                    .filter(line -> !line.startsWith("#") && !line.isBlank())
                    .map(line -> line.split("[{ ]", 2)[0])
                    .collect(Collectors.toSet());

            assertThat(used)
                    .as("metrics the dashboard queries, against GET /metrics")
                    .isSubsetOf(exported);
        }
    }

    /** The metric names of one PromQL query: what is left of its identifiers once labels, functions and keywords go. */
    static Set<String> metricsOf(String query) {
        Set<String> names = new TreeSet<>();
        Matcher labelValues = LABEL_VALUES.matcher(query);
        if (labelValues.find()) {
            names.add(labelValues.group(1));
            return names;
        }
        String bare = query.replaceAll("\"[^\"]*\"", "\"\"")
                .replaceAll("\\{[^}]*}", "")
                .replaceAll("\\[[^\\]]*]", "")
                .replaceAll("\\b(by|without|on|ignoring)\\s*\\([^)]*\\)", "");
        Matcher m = IDENTIFIER.matcher(bare);
        while (m.find()) {
            String token = m.group();
            boolean function = bare.substring(m.end()).stripLeading().startsWith("(");
            if (!function && !KEYWORDS.contains(token)) {
                names.add(token);
            }
        }
        return names;
    }

    @Test
    void theQueryParserFindsMetricsAndNothingElse() {
        assertThat(metricsOf(
                        "sum by (tool) (rate(skein_worker_task_duration_seconds_sum{tier=~\"$tier\"}[$__rate_interval]))"
                                + " / sum by (tool) (rate(skein_worker_task_duration_seconds_count[5m]))"))
                .containsExactly("skein_worker_task_duration_seconds_count", "skein_worker_task_duration_seconds_sum");
        assertThat(metricsOf("label_values(skein_tier_queue_depth, tier)")).containsExactly("skein_tier_queue_depth");
        assertThat(metricsOf("max(vertx_http_server_response_time_seconds_max)"))
                .containsExactly("vertx_http_server_response_time_seconds_max");
    }

    private static Path root() {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("deploy/grafana"))) {
                return dir;
            }
        }
        throw new IllegalStateException("no deploy/grafana above " + Path.of("").toAbsolutePath());
    }
}
