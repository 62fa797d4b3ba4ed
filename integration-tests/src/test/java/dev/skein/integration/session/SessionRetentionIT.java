package dev.skein.integration.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.TestNodes;
import dev.skein.topologies.session.SessionStores;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Session retention on a whole node over a real broker: a session idle for its time to live and one
 * deleted on request are erased, each of their entries ends in a tombstone on the changelog topics,
 * and a node started afresh (an empty state directory, so restored from those changelogs alone) does
 * not bring them back, while a session of a tenant that keeps its sessions is restored whole.
 */
@Tag("session")
class SessionRetentionIT {

    private static final String TENANT_HEADER = "X-Skein-Tenant";
    private static final List<String> STORES =
            List.of(SessionStores.MESSAGES, SessionStores.META, SessionStores.TRACES, SessionStores.ACTIVITY);

    /** Where each client sends: SkeinClient keeps its base to itself. */
    private static final Map<SkeinClient, String> BASES = new java.util.concurrent.ConcurrentHashMap<>();

    private SkeinNode node;

    private static SkeinClient client(SkeinNode node) {
        int port = node.httpPort().orElseThrow();
        SkeinClient client = new SkeinClient(port);
        BASES.put(client, "http://127.0.0.1:" + port);
        return client;
    }

    @AfterEach
    void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void expiredAndDeletedSessionsLeaveTombstonesAndAFreshNodeDoesNotBringThemBack() throws Exception {
        String name = KafkaFixture.uniqueName("retention");
        node = start(name);
        SkeinClient client = client(node);
        assertThat(turn(client, "default", "idle", "what is 2+3?").status()).isEqualTo(200);
        assertThat(turn(client, "default", "erased", "what is 3*3?").status()).isEqualTo(200);
        assertThat(turn(client, "keep", "kept", "what is 12*7?").status()).isEqualTo(200);

        SkeinClient.Response deleted =
                client.send(request(client, "default", "/v1/sessions/erased").DELETE());
        assertThat(deleted.status()).isEqualTo(202);
        assertThat(deleted.body().path("command").asText()).isEqualTo("DELETE_SESSION");
        await().atMost(Duration.ofSeconds(30))
                .until(() -> client.history("erased").status() == 404);
        // The idle one expires a time to live (3 s) after its turn; the kept tenant's stays.
        await().atMost(Duration.ofSeconds(60))
                .until(() -> client.history("idle").status() == 404);
        assertThat(history(client, "keep", "kept").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30))
                .until(() -> metrics(node).contains("skein_sessions_expired_total{tenant=\"default\"} 1.0"));

        for (String store : STORES) {
            Map<Bytes, byte[]> latest = latest(SessionStores.changelogTopic(name, store));
            for (String session : List.of("idle", "erased")) {
                List<Map.Entry<Bytes, byte[]>> entries = latest.entrySet().stream()
                        .filter(e -> belongsTo(e.getKey(), "default", session))
                        .toList();
                assertThat(entries)
                        .as("%s entries of default/%s", store, session)
                        .isNotEmpty();
                assertThat(entries)
                        .as("the latest %s record of each key of default/%s", store, session)
                        .allMatch(e -> e.getValue() == null);
            }
            // The kept session's records are live; its index entry moved as its turn went on, leaving
            // tombstones behind, so only its latest entry there is.
            List<byte[]> keptValues = latest.entrySet().stream()
                    .filter(e -> belongsTo(e.getKey(), "keep", "kept"))
                    .map(Map.Entry::getValue)
                    .toList();
            if (store.equals(SessionStores.ACTIVITY)) {
                assertThat(keptValues).as("%s of keep/kept", store).anyMatch(v -> v != null);
            } else {
                assertThat(keptValues).as("%s of keep/kept", store).isNotEmpty().allMatch(v -> v != null);
            }
        }

        JsonNode kept = history(client, "keep", "kept").body().path("messages");
        assertThat(kept).isNotEmpty();
        node.close();
        node = start(name);
        SkeinClient restarted = client(node);
        await().atMost(Duration.ofSeconds(60))
                .until(() -> history(restarted, "keep", "kept").status() == 200);
        assertThat(history(restarted, "keep", "kept").body().path("messages")).isEqualTo(kept);
        assertThat(restarted.history("idle").status()).isEqualTo(404);
        assertThat(restarted.history("erased").status()).isEqualTo(404);

        // A turn on an erased id starts a new session: its history holds that turn alone, from sequence 0.
        assertThat(turn(restarted, "default", "erased", "what is 1+1?").status())
                .isEqualTo(200);
        JsonNode fresh = restarted.history("erased").body().path("messages");
        assertThat(fresh.get(0).path("sequence").asLong()).isZero();
        assertThat(fresh.get(0).path("content").asText()).isEqualTo("what is 1+1?");
        assertThat(fresh.toString()).doesNotContain("3*3");
    }

    /** A node on the topics and application id {@code name}, with an empty data directory of its own. */
    private static SkeinNode start(String name) throws Exception {
        Map<String, Object> keys = new HashMap<>();
        keys.put("skein.topics.prefix", name + ".");
        keys.put("skein.streams.application-id", name);
        keys.put("skein.agents.share-group", name + "-agents");
        keys.put("skein.data-dir", Files.createTempDirectory("skein-retention").toString());
        keys.put("skein.memory.enabled", false);
        keys.put("skein.session.retention.idle-ttl", "3s");
        keys.put("skein.session.retention.check-interval", "500ms");
        keys.put("skein.session.retention.by-tenant.keep", "off");
        SkeinConfig config = TestNodes.config("retention", keys);
        return SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false, List.of());
    }

    private static SkeinClient.Response turn(SkeinClient client, String tenant, String session, String message) {
        String body =
                SkeinClient.JSON.createObjectNode().put("message", message).toString();
        return client.send(request(client, tenant, "/v1/sessions/" + session + "/turns?wait=60")
                .header("content-type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private static SkeinClient.Response history(SkeinClient client, String tenant, String session) {
        return client.send(
                request(client, tenant, "/v1/sessions/" + session + "/history").GET());
    }

    private static HttpRequest.Builder request(SkeinClient client, String tenant, String path) {
        return HttpRequest.newBuilder(URI.create(BASES.get(client) + path)).header(TENANT_HEADER, tenant);
    }

    private static String metrics(SkeinNode node) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create(
                                        "http://127.0.0.1:" + node.httpPort().orElseThrow() + "/metrics"))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return response.body();
    }

    /** Every committed record of a changelog topic, the latest per key (null: a tombstone). */
    private static Map<Bytes, byte[]> latest(String topic) {
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                KafkaFixture.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false);
        Map<Bytes, byte[]> latest = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                assertThat(System.nanoTime()).as("reading %s to its end", topic).isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    latest.put(Bytes.wrap(record.key()), record.value());
                }
            }
        }
        return latest;
    }

    /** True for a key of the session in any of the stores' layouts (docs/topics.md). */
    private static boolean belongsTo(Bytes key, String tenant, String session) {
        String text = new String(key.get(), StandardCharsets.ISO_8859_1);
        String address = tenant + "/" + session;
        return text.equals(address)
                || text.startsWith(address + "\0")
                || (text.startsWith(tenant + "\0")
                        && text.endsWith(session)
                        && text.length() == tenant.length() + 1 + Long.BYTES + session.length());
    }
}
