package dev.skein.app.runtime;

import dev.skein.app.config.SkeinConfig;
import dev.skein.app.metrics.TaskCounterMetrics;
import dev.skein.app.metrics.TierMetrics;
import dev.skein.ingress.KafkaCatalogView;
import dev.skein.ingress.KafkaSessionEvents;
import dev.skein.schemas.SkeinTopics;
import dev.skein.topologies.routing.TierEnvelope;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.admin.Admin;

/**
 * The meters a core process exports besides the HTTP server's: its live streams, each tier's and
 * the agents' backlog and workers (read with an admin client of their own), and the topology's
 * per-task counts (refused tool calls, memory extractions, dropped speculative answers, expired
 * sessions).
 */
final class CoreMetrics {

    private static final Duration ADMIN_CLOSE_TIMEOUT = Duration.ofSeconds(5);

    private CoreMetrics() {}

    /** Starts them; each part is handed to {@code own}, which closes it with the node. */
    static void start(
            Map<String, Object> clients,
            SkeinTopics topics,
            SkeinConfig config,
            KafkaCatalogView catalog,
            SessionService sessions,
            KafkaSessionEvents events,
            MeterRegistry metrics,
            String agentGroup,
            BiConsumer<String, AutoCloseable> own)
            throws Exception {
        // What live streams cost this instance: how many there are, and replays waiting for a reader.
        Gauge.builder("skein.streams.subscribers", events, KafkaSessionEvents::subscriberCount)
                .description("SSE and WebSocket streams open on this instance")
                .register(metrics);
        Gauge.builder("skein.streams.replays.waiting", events, KafkaSessionEvents::replaysWaiting)
                .description("streams waiting for a replay reader")
                .register(metrics);
        Admin admin = Admin.create(Map.copyOf(clients));
        own.accept("the metrics admin client", () -> admin.close(ADMIN_CLOSE_TIMEOUT));
        TierMetrics tierMetrics = new TierMetrics(
                admin,
                topics,
                config.tiers().stream().map(TierEnvelope::name).toList(),
                topics::workerGroup,
                catalog::workers,
                config.sessionTopology().workerTimeout(),
                metrics,
                TierMetrics.DEFAULT_INTERVAL,
                agentGroup);
        own.accept("the tier metrics", tierMetrics);
        tierMetrics.start();
        TaskCounterMetrics refusedCalls = TaskCounterMetrics.refusedToolCalls(sessions::streamsMetrics, metrics);
        own.accept("the refused tool call metrics", refusedCalls);
        refusedCalls.start();
        TaskCounterMetrics extractions = TaskCounterMetrics.memoryExtractions(sessions::streamsMetrics, metrics);
        own.accept("the memory extraction metrics", extractions);
        extractions.start();
        TaskCounterMetrics speculativeDrops =
                TaskCounterMetrics.speculativeAnswersDropped(sessions::streamsMetrics, metrics);
        own.accept("the speculative answer metrics", speculativeDrops);
        speculativeDrops.start();
        TaskCounterMetrics expiredSessions = TaskCounterMetrics.sessionsExpired(sessions::streamsMetrics, metrics);
        own.accept("the expired session metrics", expiredSessions);
        expiredSessions.start();
    }
}
