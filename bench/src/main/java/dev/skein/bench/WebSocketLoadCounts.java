package dev.skein.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/** What every {@link WebSocketSessionClient} of a {@link WebSocketLoad} run records into: shared, thread-safe. */
record WebSocketLoadCounts(
        Histogram latencyNanos,
        AtomicLong errors,
        AtomicLong lastAnswerNanos,
        Map<String, LongAdder> framesByType,
        LongAdder completedBeforeAccepted) {

    static WebSocketLoadCounts create() {
        return new WebSocketLoadCounts(
                Latency.histogram(), new AtomicLong(), new AtomicLong(), new ConcurrentHashMap<>(), new LongAdder());
    }
}
