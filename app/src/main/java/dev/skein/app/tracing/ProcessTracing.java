package dev.skein.app.tracing;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.ContextStorage;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporterBuilder;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.Collection;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The OpenTelemetry SDK of this process, started only when {@code skein.tracing.enabled}: spans of
 * every part of the node (ingress, topology, runner, worker) go to one batch exporter. It is
 * installed as the process's {@link GlobalOpenTelemetry}, where {@code TraceHeaders.tracer()}
 * finds it: a process is one service in a trace, so it has one SDK, and the parts need no tracer
 * handed through their constructors. A second node in the same JVM (tests) shares the first's.
 */
public final class ProcessTracing implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(ProcessTracing.class);
    private static final AttributeKey<String> SERVICE_NAME = AttributeKey.stringKey("service.name");
    private static final AttributeKey<String> ROLES = AttributeKey.stringKey("skein.roles");
    private static final AtomicBoolean MDC_INSTALLED = new AtomicBoolean();

    private final OpenTelemetrySdk sdk;

    private ProcessTracing(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
    }

    /** Null when tracing is off: nothing is started. */
    public static ProcessTracing start(TracingSettings settings, Collection<String> roles) {
        if (!settings.enabled()) {
            return null;
        }
        // Before the exporter is built: building it may use a context, and the storage is chosen at the first use.
        installMdc();
        OtlpHttpSpanExporterBuilder exporter = OtlpHttpSpanExporter.builder()
                .setEndpoint(settings.endpoint())
                .setTimeout(settings.exportTimeout().toMillis(), TimeUnit.MILLISECONDS);
        settings.headers().forEach(exporter::addHeader);
        return start(settings, roles, exporter.build());
    }

    /** With any exporter (tests: an in-memory one). */
    public static ProcessTracing start(TracingSettings settings, Collection<String> roles, SpanExporter exporter) {
        installMdc();
        Resource resource = Resource.getDefault()
                .merge(Resource.create(
                        Attributes.of(SERVICE_NAME, settings.serviceName(), ROLES, String.join(",", roles))));
        SdkTracerProvider provider = SdkTracerProvider.builder()
                .setResource(resource)
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(settings.samplerRatio())))
                .addSpanProcessor(BatchSpanProcessor.builder(exporter)
                        .setScheduleDelay(settings.scheduleDelay())
                        .setMaxExportBatchSize(settings.maxExportBatchSize())
                        .setExporterTimeout(settings.exportTimeout())
                        .build())
                .build();
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(provider)
                .setPropagators(ContextPropagators.create(W3CTraceContextPropagator.getInstance()))
                .build();
        try {
            GlobalOpenTelemetry.set(sdk);
        } catch (IllegalStateException e) {
            log.warn("Tracing: this process already has an OpenTelemetry SDK; its spans go to that one's exporter");
            sdk.close();
            return new ProcessTracing(null);
        }
        log.info(
                "Tracing on: spans of {} ({}) to {} (sampled {})",
                settings.serviceName(),
                String.join(",", roles),
                settings.endpoint(),
                settings.samplerRatio());
        return new ProcessTracing(sdk);
    }

    // Before the first context is used: the storage is chosen once per process.
    private static void installMdc() {
        if (MDC_INSTALLED.compareAndSet(false, true)) {
            ContextStorage.addWrapper(MdcContextStorage::new);
        }
    }

    /** Sends what is batched (waiting up to the export timeout) and stops the SDK. */
    @Override
    public void close() {
        if (sdk != null) {
            sdk.getSdkTracerProvider().forceFlush().join(10, TimeUnit.SECONDS);
            sdk.close();
        }
    }
}
