package dev.skein.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.skein.app.kafka.LocalKafka;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.utils.Utils;

/**
 * {@code skein bench streams}: two {@code skein core} processes and an agent runner on one broker.
 * A client follows one session over SSE while its turns run, drops the connection at random and
 * resumes from its last position each time; halfway, the instance it is connected to is SIGKILLed
 * (and started again), and the client resumes on the other one. What it saw must be every record
 * of the session on {@code skein.deltas}, once each, in order. Also measured: the live stream's
 * latency (a text delta's arrival after the runner wrote it) and the cost of replaying the whole
 * session from its first position.
 */
final class StreamsBench {

    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(180);
    private static final String SESSION = "streams-bench";
    private static final int PARTITIONS = 4;
    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /**
     * @param turns     turns the client follows
     * @param reconnects drops and resumes the client aims for (at random events)
     * @param replays   full replays of the session timed at the end
     */
    record Options(int turns, int reconnects, int replays, Path out, Optional<String> bootstrapServers) {}

    /** What one run saw; {@code defects} empty when the client saw every event once, in order. */
    record Report(
            int turns,
            long events,
            int reconnects,
            int reconnectsToAnotherInstance,
            long msFromKillToNextEvent,
            long missing,
            long duplicated,
            long outOfOrder,
            Latency liveDelta,
            Latency replayFirstEvent,
            Latency replayWhole,
            long replayedEvents,
            List<String> defects) {}

    private final Options options;
    private final PrintStream console;
    private final ObjectMapper json = new ObjectMapper();

    StreamsBench(Options options, PrintStream console) {
        this.options = options;
        this.console = console;
    }

    Report run() throws Exception {
        Path work = Files.createTempDirectory("skein-streams");
        String prefix = "streams-" + UUID.randomUUID().toString().substring(0, 8) + ".";
        LocalKafka kafka = null;
        List<SkeinProcess> processes = new ArrayList<>();
        try {
            String bootstrap = options.bootstrapServers().orElse(null);
            if (bootstrap == null) {
                kafka = new LocalKafka(LocalKafka.Options.inDirectory(work.resolve("kafka"))).start();
                bootstrap = kafka.bootstrapServers();
            }
            Map<String, String> settings = new LinkedHashMap<>(Recovery.failureDetection(bootstrap));
            settings.put("skein.topics.prefix", prefix);
            settings.put("skein.topics.partitions", String.valueOf(PARTITIONS));
            settings.put("skein.session.default-agent", "demo");
            console.printf("Streams: starting two skein core processes and one skein agents (logs in %s) ...%n", work);
            List<SkeinProcess> cores = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                cores.add(
                        SkeinProcess.start("core", List.of(), "512m", bootstrap, work.resolve("core-" + i), settings));
            }
            processes.addAll(cores);
            for (SkeinProcess core : cores) {
                core.awaitHealthy(STARTUP_TIMEOUT);
            }
            processes.add(SkeinProcess.start("agents", List.of(), "384m", bootstrap, work.resolve("agents"), settings));
            return follow(cores, bootstrap, prefix + "deltas");
        } finally {
            for (SkeinProcess process : processes) {
                process.close();
            }
            if (kafka != null) {
                kafka.close();
            }
            Path logs = options.out().resolve("streams-logs");
            Files.createDirectories(logs);
            for (int i = 0; i < processes.size(); i++) {
                Files.copy(
                        processes.get(i).log(),
                        logs.resolve((i < 2 ? "core-" + i : "agents") + ".log"),
                        StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private Report follow(List<SkeinProcess> cores, String bootstrap, String deltasTopic) throws Exception {
        String path = "/v1/sessions/" + SESSION + "/events";
        Random random = new Random(42);
        Histogram live = Latency.histogram();
        List<String> defects = new ArrayList<>();
        List<String> seen = new ArrayList<>();
        Set<String> completed = new HashSet<>();
        int connectedTo = 0;
        SseConnection stream = SseConnection.open(cores.get(connectedTo).httpPort(), path, TurnDriver.TENANT, null);
        long openedMs = System.currentTimeMillis();
        AtomicInteger posted = new AtomicInteger();
        // Turns go to the instance the client is not on first: the kill must not stop them.
        Thread submitter = Thread.ofVirtual().start(() -> submit(cores, posted));
        int reconnects = 0;
        int toAnother = 0;
        long killedNs = -1;
        long killToNextMs = -1;
        String last = null;
        long deadline = System.nanoTime()
                + Duration.ofSeconds(120 + 2L * options.turns()).toNanos();
        console.printf("Streams: following %d turns, dropping at random ...%n", options.turns());
        while (completed.size() < options.turns() && System.nanoTime() < deadline) {
            SseConnection.Event event = stream.next(Duration.ofSeconds(5));
            boolean drop = event == null; // the stream ended (the instance died) or went quiet
            if (event != null && event.id() != null) {
                JsonNode frame = json.readTree(event.data());
                seen.add(event.id());
                last = event.id();
                if (killedNs > 0 && killToNextMs < 0) {
                    killToNextMs = (event.arrivedNs() - killedNs) / 1_000_000;
                }
                String type = frame.path("type").asText();
                if ("completed".equals(type)) {
                    completed.add(frame.path("turnId").asText());
                } else if ("TEXT".equals(frame.path("kind").asText())) {
                    long writtenMs = java.time.Instant.parse(
                                    frame.path("timestamp").asText())
                            .toEpochMilli();
                    if (writtenMs > openedMs) { // live, not replayed
                        live.recordValue(Math.max(0, event.arrivedMs() - writtenMs) * 1_000_000L);
                    }
                }
                // Spread the drops left over the events left, at the rate seen so far.
                double perTurn = (double) seen.size() / Math.max(1, completed.size());
                double eventsLeft = Math.max(1, (options.turns() - completed.size()) * perTurn);
                drop = random.nextDouble() < (options.reconnects() - reconnects) / eventsLeft;
            }
            if (killedNs < 0 && completed.size() >= options.turns() / 2) {
                console.printf("Streams: SIGKILL of core %d, which the client is connected to ...%n", connectedTo);
                cores.get(connectedTo).kill();
                killedNs = System.nanoTime();
                cores.get(connectedTo).restart();
                connectedTo = 1 - connectedTo;
                toAnother++;
                drop = true;
            }
            if (drop) {
                stream.close();
                reconnects++;
                stream = open(cores.get(connectedTo), path, last);
                openedMs = System.currentTimeMillis();
            }
        }
        stream.close();
        submitter.join(Duration.ofSeconds(60));
        if (completed.size() < options.turns()) {
            defects.add("the client saw " + completed.size() + " of " + options.turns() + " completions ("
                    + posted.get() + " turns posted)");
        }
        List<String> truth = truth(bootstrap, deltasTopic);
        long missing = truth.stream().filter(p -> !seen.contains(p)).count();
        long duplicated = seen.size() - new HashSet<>(seen).size();
        long outOfOrder = 0;
        for (int i = 1; i < seen.size(); i++) {
            outOfOrder += offset(seen.get(i)) <= offset(seen.get(i - 1)) ? 1 : 0;
        }
        if (!seen.equals(truth.subList(0, Math.min(truth.size(), seen.size())))) {
            defects.add("the client's events differ from the topic's: " + missing + " missing, " + duplicated
                    + " repeated, " + outOfOrder + " out of order");
        }
        console.printf(
                "Streams: %d events seen across %d reconnects; timing %d replays ...%n",
                seen.size(), reconnects, options.replays());
        Histogram first = Latency.histogram();
        Histogram whole = Latency.histogram();
        SkeinProcess survivor = cores.get(connectedTo);
        for (int i = 0; i < options.replays() && truth.size() > 1; i++) {
            long start = System.nanoTime();
            try (SseConnection replay =
                    SseConnection.open(survivor.httpPort(), path, TurnDriver.TENANT, truth.getFirst())) {
                for (int n = 1; n < truth.size(); n++) {
                    SseConnection.Event event = replay.next(Duration.ofSeconds(30));
                    if (event == null) {
                        defects.add("replay " + i + " stopped after " + (n - 1) + " events");
                        break;
                    }
                    if (n == 1) {
                        first.recordValue(event.arrivedNs() - start);
                    }
                    if (n == truth.size() - 1) {
                        whole.recordValue(event.arrivedNs() - start);
                    }
                }
            }
        }
        return new Report(
                options.turns(),
                seen.size(),
                reconnects,
                toAnother,
                killToNextMs,
                missing,
                duplicated,
                outOfOrder,
                Latency.of(live),
                Latency.of(first),
                Latency.of(whole),
                Math.max(0, truth.size() - 1),
                defects.stream().limit(20).toList());
    }

    /** Reconnects, retrying while an instance is starting or the group is moving partitions. */
    private static SseConnection open(SkeinProcess core, String path, String last) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                SseConnection stream = SseConnection.open(core.httpPort(), path, TurnDriver.TENANT, last);
                if (stream.status() == 200 || System.nanoTime() > deadline) {
                    return stream;
                }
                stream.close();
            } catch (IOException notListening) {
                if (System.nanoTime() > deadline) {
                    throw notListening;
                }
            }
            Thread.sleep(200);
        }
    }

    /** Posts every turn with a fixed id, retried until an instance takes it (a retry is deduplicated). */
    private void submit(List<SkeinProcess> cores, AtomicInteger posted) {
        for (int i = 0; i < options.turns(); i++) {
            String body = "{\"message\":\"" + SkeinBench.SIMPLE_MESSAGE + "\",\"turnId\":\"turn-" + i + "\"}";
            for (int attempt = 0; attempt < 30; attempt++) {
                SkeinProcess core = cores.get((1 + attempt) % cores.size());
                try {
                    HttpResponse<String> answer = HTTP.send(
                            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + core.httpPort() + "/v1/sessions/"
                                            + SESSION + "/turns?wait=60"))
                                    .header("content-type", "application/json")
                                    .header("X-Skein-Tenant", TurnDriver.TENANT)
                                    .timeout(Duration.ofSeconds(70))
                                    .POST(HttpRequest.BodyPublishers.ofString(body))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (answer.statusCode() == 200 || answer.statusCode() == 504) {
                        posted.incrementAndGet();
                        break;
                    }
                } catch (IOException refused) {
                    // That instance is down: the next attempt goes to the other.
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The positions of the session's committed records on the deltas topic: what the client must have seen. */
    private static List<String> truth(String bootstrap, String topic) {
        byte[] key = (TurnDriver.TENANT + "/" + SESSION).getBytes(StandardCharsets.UTF_8);
        TopicPartition partition = new TopicPartition(topic, Utils.toPositive(Utils.murmur2(key)) % PARTITIONS);
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<String> positions = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer =
                new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            while (consumer.position(partition) < end) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.offset() < end && Arrays.equals(record.key(), key)) {
                        positions.add(record.partition() + "-" + record.offset());
                    }
                }
            }
        }
        return positions;
    }

    private static long offset(String position) {
        return Long.parseLong(position.substring(position.indexOf('-') + 1));
    }

    /** Writes {@code streams.json} under {@code --out} and prints the table. */
    void write(Report report) throws IOException {
        Files.createDirectories(options.out());
        new ObjectMapper()
                .enable(SerializationFeature.INDENT_OUTPUT)
                .writeValue(options.out().resolve("streams.json").toFile(), report);
        console.println();
        console.println("| resumable streams | |");
        console.println("|---|---:|");
        console.printf("| turns followed | %d |%n", report.turns());
        console.printf("| events seen | %d |%n", report.events());
        console.printf("| drops and resumes | %d |%n", report.reconnects());
        console.printf("| of which to another instance after a SIGKILL | %d |%n", report.reconnectsToAnotherInstance());
        console.printf("| ms from the SIGKILL to the next event | %d |%n", report.msFromKillToNextEvent());
        console.printf("| missing events (must be 0) | %d |%n", report.missing());
        console.printf("| repeated events (must be 0) | %d |%n", report.duplicated());
        console.printf("| events out of order (must be 0) | %d |%n", report.outOfOrder());
        console.printf(
                "| live text delta, ms after the runner wrote it: p50 / p99 (%d) | %.1f / %.1f |%n",
                report.liveDelta().count(),
                report.liveDelta().p50(),
                report.liveDelta().p99());
        console.printf(
                "| replay of %d events: ms to the first / to the last, p50 | %.1f / %.1f |%n",
                report.replayedEvents(),
                report.replayFirstEvent().p50(),
                report.replayWhole().p50());
        report.defects().forEach(d -> console.println("DEFECT: " + d));
    }
}
