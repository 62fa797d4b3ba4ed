package dev.skein.app.tracing;

import java.time.Duration;
import java.util.Map;

/**
 * {@code skein.tracing}: whether this process exports spans, and where (its defaults are in
 * {@code reference.conf}).
 *
 * @param endpoint the collector's OTLP/HTTP (protobuf) traces URL
 * @param samplerRatio the share of new traces kept; a context a client sent keeps its own decision
 * @param headers sent with every export (a collector's credentials)
 */
public record TracingSettings(
        boolean enabled,
        String endpoint,
        String serviceName,
        double samplerRatio,
        Duration exportTimeout,
        Duration scheduleDelay,
        int maxExportBatchSize,
        Map<String, String> headers) {

    public TracingSettings {
        headers = Map.copyOf(headers);
    }
}
