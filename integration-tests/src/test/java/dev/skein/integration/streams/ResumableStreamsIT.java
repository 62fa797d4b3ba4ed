package dev.skein.integration.streams;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.app.config.SkeinConfig;
import dev.skein.app.runtime.SkeinNode;
import dev.skein.app.runtime.SkeinNode.Role;
import dev.skein.app.runtime.TopicSetup;
import dev.skein.integration.fixtures.SkeinClient;
import dev.skein.integration.fixtures.SseClient;
import dev.skein.integration.fixtures.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Resumable streams on a real broker and node: a client that drops its SSE connection at random
 * and resumes from its last position sees every event of the session once and in order (checked
 * against the deltas topic itself); positions a stream cannot serve are refused with a 400 before
 * it starts; a position older than what the topic keeps answers with a gap frame and goes on from
 * the oldest kept event.
 */
@Tag("streams")
class ResumableStreamsIT {

    private static final int PARTITIONS = 4;
    private static SkeinNode node;
    private static int port;
    private static SkeinClient client;

    @BeforeAll
    static void start() throws Exception {
        SkeinConfig config = TestNodes.config(
                "streams", Map.of("skein.topics.partitions", PARTITIONS, "skein.event-streams.heartbeat", "200ms"));
        node = SkeinNode.start(config, Set.of(Role.CORE, Role.AGENTS, Role.WORKER), false);
        port = node.httpPort().orElseThrow();
        client = new SkeinClient(port);
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    @Test
    void aClientThatDropsAndResumesAtRandomSeesEveryEventOnceInOrder() throws Exception {
        String session = "resume";
        int turns = 30;
        Random random = new Random(13);
        SseClient stream = SseClient.open(port, "/v1/sessions/" + session + "/events", null);
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.contentType()).startsWith("text/event-stream");
        AtomicInteger posted = new AtomicInteger();
        Thread submitter = Thread.ofVirtual().start(() -> {
            for (int i = 0; i < turns; i++) {
                client.postTurn(session, "what is " + i + " plus 1?", true);
                posted.incrementAndGet();
            }
        });

        List<String> seen = new ArrayList<>();
        Set<String> completed = new HashSet<>();
        int reconnects = 0;
        String last = null;
        long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
        while (completed.size() < turns && System.nanoTime() < deadline) {
            SseClient.Event event = stream.next(Duration.ofSeconds(30));
            if (event == null) {
                throw new AssertionError("the stream went quiet after " + seen.size() + " events");
            }
            if (event.id() == null) {
                continue;
            }
            JsonNode frame = SkeinClient.JSON.readTree(event.data());
            assertThat(frame.path("position").asText()).isEqualTo(event.id());
            seen.add(event.id());
            last = event.id();
            if ("completed".equals(frame.path("type").asText())) {
                completed.add(frame.path("turnId").asText());
            }
            if (random.nextInt(6) == 0) {
                stream.close();
                reconnects++;
                stream = SseClient.open(port, "/v1/sessions/" + session + "/events", last);
                assertThat(stream.status()).isEqualTo(200);
            }
        }
        stream.close();
        submitter.join(Duration.ofSeconds(60));

        assertThat(posted).hasValue(turns);
        assertThat(reconnects).as("the client dropped at random").isGreaterThan(10);
        List<String> truth = SessionStreamRecords.positions(node, "default/" + session, PARTITIONS);
        assertThat(seen)
                .as("every event once, in order, across %d reconnects", reconnects)
                .isEqualTo(truth);
    }

    @Test
    void aWebSocketWithAfterReplaysThenGoesLiveWithTheSamePositions() throws Exception {
        String session = "websocket";
        client.postTurn(session, "hello", true);
        List<String> before = SessionStreamRecords.positions(node, "default/" + session, PARTITIONS);

        try (SkeinClient.Stream stream = client.stream(session, before.getFirst())) {
            assertThat(stream.next(Duration.ofSeconds(10)).path("type").asText())
                    .isEqualTo("subscribed");
            client.postTurn(session, "hello again", true);
            List<String> all = SessionStreamRecords.positions(node, "default/" + session, PARTITIONS);
            List<String> seen = new ArrayList<>();
            while (seen.size() < all.size() - 1) {
                JsonNode frame = stream.next(Duration.ofSeconds(20));
                assertThat(frame).as("frames after %s", seen).isNotNull();
                seen.add(frame.path("position").asText());
            }
            assertThat(seen).isEqualTo(all.subList(1, all.size()));
        }
    }

    @Test
    void theDeltasTopicHasTheConfiguredRetentionAndACoreAlignsAnExistingOne() throws Exception {
        String deltas = node.topics().deltas.name();
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, deltas);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, node.bootstrapServers()))) {
            assertThat(retention(admin, topic))
                    .as("skein.topics.deltas-retention, 24h")
                    .isEqualTo("86400000");
            TopicSetup.alignDeltasRetention(admin, node.topics(), Duration.ofHours(2));
            assertThat(retention(admin, topic)).isEqualTo("7200000");
            TopicSetup.alignDeltasRetention(admin, node.topics(), Duration.ofHours(24));
            assertThat(retention(admin, topic)).isEqualTo("86400000");
        }
    }

    private static String retention(Admin admin, ConfigResource topic) throws Exception {
        return admin.describeConfigs(List.of(topic))
                .all()
                .get()
                .get(topic)
                .get("retention.ms")
                .value();
    }

    @Test
    void anIdleStreamGetsHeartbeats() throws Exception {
        try (SseClient idle = SseClient.open(port, "/v1/sessions/quiet/events", null)) {
            assertThat(idle.next(Duration.ofSeconds(2)))
                    .as("no events on a quiet session")
                    .isNull();
            assertThat(idle.comments())
                    .as("the session comment and a heartbeat every 200 ms")
                    .isGreaterThan(3);
            assertThat(idle.ended()).isFalse();
        }
    }

    @Test
    void positionsTheStreamCannotServeAre400sWithJsonBeforeItStarts() throws Exception {
        String session = "refusals";
        client.postTurn(session, "hello", true);
        TopicPartition own = SessionStreamRecords.partition(node, "default/" + session, PARTITIONS);
        int other = (own.partition() + 1) % PARTITIONS;

        for (String bad : List.of("x", "1-", "-1-3", "1-2-3", "99999999-1", "1-99999999999999999999", " ")) {
            try (SseClient refused = SseClient.open(port, "/v1/sessions/" + session + "/events", bad)) {
                if (bad.isBlank()) {
                    assertThat(refused.status())
                            .as("a blank Last-Event-ID is no position")
                            .isEqualTo(200);
                    continue;
                }
                assertThat(refused.status()).as(bad).isEqualTo(400);
                assertThat(SkeinClient.JSON
                                .readTree(refused.body())
                                .path("error")
                                .asText())
                        .contains("is not a stream position");
            }
        }
        try (SseClient wrong = SseClient.open(port, "/v1/sessions/" + session + "/events", other + "-0")) {
            assertThat(wrong.status()).isEqualTo(400);
            assertThat(SkeinClient.JSON.readTree(wrong.body()).path("error").asText())
                    .contains("is not one of session default/" + session);
        }
        try (SseClient future =
                SseClient.open(port, "/v1/sessions/" + session + "/events", own.partition() + "-999999999")) {
            assertThat(future.status()).isEqualTo(400);
            assertThat(SkeinClient.JSON.readTree(future.body()).path("error").asText())
                    .contains("beyond the end");
        }
        try (SseClient query = SseClient.open(port, "/v1/sessions/" + session + "/events?after=nope", null)) {
            assertThat(query.status()).isEqualTo(400);
            assertThat(SkeinClient.JSON.readTree(query.body()).path("error").asText())
                    .startsWith("after 'nope' is not a stream position");
        }
    }

    @Test
    void aPositionOlderThanWhatIsKeptGetsAGapFrameThenTheOldestKeptEvents() throws Exception {
        String session = "retention";
        for (int i = 0; i < 3; i++) {
            client.postTurn(session, "hello " + i, true);
        }
        List<String> before = SessionStreamRecords.positions(node, "default/" + session, PARTITIONS);
        TopicPartition partition = SessionStreamRecords.partition(node, "default/" + session, PARTITIONS);
        String first = before.getFirst();
        String kept = before.get(before.size() / 2);
        long keptOffset = Long.parseLong(kept.substring(kept.indexOf('-') + 1));
        // What retention does, at once: the partition's log now starts at the kept event.
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, node.bootstrapServers()))) {
            admin.deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(keptOffset)))
                    .all()
                    .get();
        }

        try (SseClient stream = SseClient.open(port, "/v1/sessions/" + session + "/events", first)) {
            assertThat(stream.status()).isEqualTo(200);
            SseClient.Event gap = stream.next(Duration.ofSeconds(20));
            assertThat(gap.id()).as("a gap is no position").isNull();
            JsonNode frame = SkeinClient.JSON.readTree(gap.data());
            assertThat(frame.path("type").asText()).isEqualTo("gap");
            assertThat(frame.path("requested").asText()).isEqualTo(first);
            assertThat(frame.path("oldest").asText()).isEqualTo(partition.partition() + "-" + keptOffset);
            List<String> replayed = new ArrayList<>();
            for (int i = 0; i < before.size() - before.indexOf(kept); i++) {
                replayed.add(stream.next(Duration.ofSeconds(20)).id());
            }
            assertThat(replayed).isEqualTo(before.subList(before.indexOf(kept), before.size()));
        }
        // The history keeps every turn whatever the deltas kept.
        assertThat(client.awaitHistory(session, 6)).hasSize(6);
    }

    @Test
    void aTurnsStreamFollowsItFromItsStartToItsCompletionAndEnds() throws Exception {
        String session = "one-turn";
        client.postTurn(session, "warm up", true);
        String turnId = client.postTurn(session, "what is 2 plus 2?", false)
                .body()
                .path("turnId")
                .asText();

        try (SseClient stream =
                SseClient.open(port, "/v1/sessions/" + session + "/turns/" + turnId + "/events", null)) {
            assertThat(stream.status()).isEqualTo(200);
            List<String> types = new ArrayList<>();
            SseClient.Event event;
            while ((event = stream.next(Duration.ofSeconds(30))) != null) {
                JsonNode frame = SkeinClient.JSON.readTree(event.data());
                assertThat(frame.path("turnId").asText()).isEqualTo(turnId);
                types.add(frame.path("type").asText());
            }
            assertThat(types.getFirst()).isEqualTo("started");
            assertThat(types.getLast()).isEqualTo("completed");
            assertThat(types.subList(1, types.size() - 1)).isNotEmpty().containsOnly("delta");
        }
    }
}
