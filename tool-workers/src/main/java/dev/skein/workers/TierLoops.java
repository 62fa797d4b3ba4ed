package dev.skein.workers;

import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.ShareBatchLoop;
import dev.skein.schemas.kafka.ShareConsumers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.kafka.clients.consumer.ShareConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * The poll loops of a worker: for each share group of each tier (one, or two for a by-tool tier:
 * {@link TierShare}), {@code skein.worker.consumers} {@link ShareBatchLoop}s, members of that group
 * on the tier's topic that split {@code max-in-flight} between them, handing each record to the
 * {@link RequestHandler}. Several, because a consumer polls again only once its whole last batch
 * is acknowledged: with one, a long call would hold back every request of its tier that arrived
 * while it ran, though admission had room for them.
 */
final class TierLoops {

    private final SkeinTopics topics;
    private final WorkerOptions options;
    private final RequestHandler handler;
    private final ConsumerFactory consumers;
    private final List<ShareBatchLoop<byte[]>> loops = new ArrayList<>();

    /** Makes the {@code index}th consumer of a tier's share group, holding at most {@code maxRecords}. */
    @FunctionalInterface
    interface ConsumerFactory {
        ShareConsumer<String, byte[]> create(String tier, TierShare share, int index, int maxRecords);
    }

    /** Loops whose consumers are {@link ShareConsumers} with {@code kafkaConfig}. */
    TierLoops(Map<String, Object> kafkaConfig, SkeinTopics topics, WorkerOptions options, RequestHandler handler) {
        this(topics, options, handler, (ConsumerFactory)
                (tier, share, index, maxRecords) -> consumer(kafkaConfig, options, tier, share, index, maxRecords));
    }

    /** @param consumers the share consumer of a tier, already in the tier's share group */
    TierLoops(
            SkeinTopics topics,
            WorkerOptions options,
            RequestHandler handler,
            Function<String, ShareConsumer<String, byte[]>> consumers) {
        this(topics, options, handler, (ConsumerFactory) (tier, share, index, maxRecords) -> consumers.apply(tier));
    }

    /** @param consumers the share consumer of a tier in one of its groups */
    TierLoops(SkeinTopics topics, WorkerOptions options, RequestHandler handler, ConsumerFactory consumers) {
        this.topics = topics;
        this.options = options;
        this.handler = handler;
        this.consumers = consumers;
    }

    // Values are read as bytes and deserialized per record, so that a dead letter carries the
    // request exactly as it was written.
    private static ShareConsumer<String, byte[]> consumer(
            Map<String, Object> kafkaConfig,
            WorkerOptions options,
            String tier,
            TierShare share,
            int index,
            int maxRecords) {
        return ShareConsumers.create(
                kafkaConfig,
                share.group(),
                "skein-worker-" + options.workerId() + "-" + tier + share.suffix() + (index == 0 ? "" : "-" + index),
                maxRecords,
                new ByteArrayDeserializer());
    }

    /** Starts a loop for each share group of each tier. */
    void start() {
        for (String tier : options.tiers()) {
            for (TierShare share : TierShare.of(topics, tier, options.dispatch(tier))) {
                int[] batches = ShareConsumers.batchSizes(options.maxInFlight(), options.consumers());
                for (int i = 0; i < batches.length; i++) {
                    ShareBatchLoop<byte[]> loop = new ShareBatchLoop<>(
                            "skein-worker-" + tier + share.suffix() + (i == 0 ? "" : "-" + i),
                            consumers.create(tier, share, i, batches[i]),
                            options.pollTimeout(),
                            record -> handler.handle(tier, share.runs(), record),
                            handler::deadLetterPoison);
                    loops.add(loop);
                    loop.start(List.of(topics.tools(tier).name()));
                }
            }
        }
    }

    /** True once started, until closed or a tier's consumer stopped on a fatal error. */
    boolean isRunning() {
        return !loops.isEmpty() && loops.stream().allMatch(ShareBatchLoop::isRunning);
    }

    boolean isStarted() {
        return !loops.isEmpty();
    }

    /** Lock renewals sent since start. */
    long renewals() {
        return loops.stream().mapToLong(ShareBatchLoop::renewals).sum();
    }

    /** Stops taking records and lets each loop's running calls finish for up to {@code drain}. */
    void close(Duration drain) {
        // The tiers drain side by side, so closing takes one drain timeout, not one per tier.
        ShareBatchLoop.closeAll(loops, drain);
    }
}
