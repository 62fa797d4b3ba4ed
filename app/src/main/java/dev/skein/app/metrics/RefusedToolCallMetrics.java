package dev.skein.app.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;

/**
 * Exports the session topology's count of tool calls refused by tenant access
 * ({@code skein-session / tool-calls-refused-total}, one per tenant and task) as the Prometheus
 * counter {@code skein_tool_calls_refused_total{tenant}}, summed over tasks. Tenants appear as the
 * topology first refuses one of their calls; a look for new ones runs every few seconds, and each
 * scrape reads the live counts. {@link #sessionsExpired} exports another per-tenant count of the
 * topology the same way: {@code skein_sessions_expired_total{tenant}}.
 */
public final class RefusedToolCallMetrics implements AutoCloseable {

    static final String GROUP = "skein-session";
    static final String NAME = "tool-calls-refused-total";
    static final String EXPIRED_NAME = "sessions-expired-total";
    private static final long LOOK_EVERY_SECONDS = 5;

    private final Supplier<Map<MetricName, ? extends Metric>> metrics;
    private final MeterRegistry registry;
    private final String streamsName;
    private final String meterName;
    private final String description;
    private final Set<String> registered = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService looker;

    public RefusedToolCallMetrics(Supplier<Map<MetricName, ? extends Metric>> metrics, MeterRegistry registry) {
        this(
                metrics,
                registry,
                NAME,
                "skein.tool.calls.refused",
                "tool calls refused because the session's tenant may not use the tool");
    }

    private RefusedToolCallMetrics(
            Supplier<Map<MetricName, ? extends Metric>> metrics,
            MeterRegistry registry,
            String streamsName,
            String meterName,
            String description) {
        this.metrics = metrics;
        this.registry = registry;
        this.streamsName = streamsName;
        this.meterName = meterName;
        this.description = description;
        this.looker = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform()
                .name("skein-" + streamsName + "-metrics")
                .daemon(true)
                .factory());
    }

    /** {@code skein-session / sessions-expired-total} as {@code skein_sessions_expired_total{tenant}}. */
    public static RefusedToolCallMetrics sessionsExpired(
            Supplier<Map<MetricName, ? extends Metric>> metrics, MeterRegistry registry) {
        return new RefusedToolCallMetrics(
                metrics,
                registry,
                EXPIRED_NAME,
                "skein.sessions.expired",
                "sessions erased because they were idle for their time to live (skein.session.retention)");
    }

    public void start() {
        looker.scheduleWithFixedDelay(this::registerNewTenants, 0, LOOK_EVERY_SECONDS, TimeUnit.SECONDS);
    }

    void registerNewTenants() {
        for (MetricName name : metrics.get().keySet()) {
            String tenant = name.tags().get("tenant");
            if (streamsName.equals(name.name())
                    && GROUP.equals(name.group())
                    && tenant != null
                    && registered.add(tenant)) {
                FunctionCounter.builder(meterName, this, m -> m.total(tenant))
                        .description(description)
                        .tag("tenant", tenant)
                        .register(registry);
            }
        }
    }

    double total(String tenant) {
        double sum = 0;
        for (Map.Entry<MetricName, ? extends Metric> entry : metrics.get().entrySet()) {
            MetricName name = entry.getKey();
            if (streamsName.equals(name.name())
                    && GROUP.equals(name.group())
                    && tenant.equals(name.tags().get("tenant"))
                    && entry.getValue().metricValue() instanceof Number value) {
                sum += value.doubleValue();
            }
        }
        return sum;
    }

    @Override
    public void close() {
        looker.shutdownNow();
    }
}
