package dev.skein.ingress;

import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.ToolDefinition;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.WorkerLiveness;
import dev.skein.schemas.resources.ByteSize;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The public JSON shape of the tool catalog and of the worker pools: what {@code /v1/tools} and {@code /v1/workers} answer. */
final class CatalogJson {

    private static final Logger log = LoggerFactory.getLogger(CatalogJson.class);

    private CatalogJson() {}

    /** {@code {"tools": [...]}}, sorted by name. */
    static JsonObject tools(List<ToolDefinition> definitions) {
        JsonArray tools = new JsonArray();
        definitions.stream()
                .sorted(Comparator.comparing(ToolDefinition::getName))
                .forEach(tool -> tools.add(tool(tool)));
        return new JsonObject().put("tools", tools);
    }

    /** {@code {"workers": [...]}}, sorted by id; {@code live} as of {@code nowMs}. */
    static JsonObject workers(List<WorkerHeartbeat> heartbeats, long nowMs, Duration workerTimeout) {
        JsonArray workers = new JsonArray();
        heartbeats.stream()
                .sorted(Comparator.comparing(WorkerHeartbeat::getWorkerId))
                .forEach(worker -> workers.add(worker(worker, nowMs, workerTimeout)));
        return new JsonObject().put("workers", workers);
    }

    private static JsonObject tool(ToolDefinition tool) {
        RetryPolicy retry = tool.getRetry();
        return new JsonObject()
                .put("name", tool.getName())
                .put("description", tool.getDescription())
                .put("version", tool.getVersion())
                .put("parameters", parameters(tool))
                .put("resources", resources(tool.getResources()))
                .put("timeoutMs", tool.getTimeoutMs())
                .put(
                        "retry",
                        new JsonObject()
                                .put("maxAttempts", retry.getMaxAttempts())
                                .put("initialBackoffMs", retry.getInitialBackoffMs())
                                .put("multiplier", retry.getMultiplier())
                                .put("maxBackoffMs", retry.getMaxBackoffMs())
                                .put("retryOn", new JsonArray(List.copyOf(retry.getRetryOn()))))
                .put("cacheable", tool.getCacheable())
                .put("requiresApproval", tool.getRequiresApproval())
                .put("cacheTtlMs", tool.getCacheTtlMs())
                .put("publisher", tool.getPublisher());
    }

    private static JsonObject worker(WorkerHeartbeat worker, long nowMs, Duration workerTimeout) {
        return new JsonObject()
                .put("id", worker.getWorkerId())
                .put("host", worker.getHost())
                .put("tiers", new JsonArray(List.copyOf(worker.getTiers())))
                .put("tools", new JsonArray(List.copyOf(worker.getTools())))
                .put("capabilities", resources(worker.getCapabilities()))
                .put("inUse", worker.getInUse() == null ? null : resources(worker.getInUse()))
                .put("inFlight", worker.getInFlight())
                .put("admitted", worker.getAdmitted())
                .put("released", worker.getReleased())
                .put("startedAt", Instant.ofEpochMilli(worker.getStartedAtMs()).toString())
                .put(
                        "lastHeartbeat",
                        Instant.ofEpochMilli(worker.getTimestampMs()).toString())
                .put("stopping", worker.getStopping())
                .put("live", WorkerLiveness.isLive(worker, nowMs, workerTimeout));
    }

    static JsonObject resources(ResourceSpec spec) {
        // Sorted, so that the same resources always read the same.
        JsonObject custom = new JsonObject();
        new TreeMap<>(spec.getCustom()).forEach(custom::put);
        return new JsonObject()
                .put("cpus", spec.getCpus())
                .put("gpus", spec.getGpus())
                .put("memoryBytes", spec.getMemoryBytes())
                .put("memory", humanBytes(spec.getMemoryBytes()))
                .put("custom", custom);
    }

    /** Bytes in the largest binary unit that keeps the number at least 1, e.g. {@code "512 MiB"}, {@code "1.5 GiB"}. */
    static String humanBytes(long bytes) {
        return ByteSize.formatInLargestUnit(bytes);
    }

    /**
     * The argument schema parsed, so clients need not decode JSON inside JSON. A worker in another
     * language could publish a schema that is not valid JSON: it is shown as the raw string rather
     * than failing the whole listing.
     */
    private static Object parameters(ToolDefinition tool) {
        try {
            return Json.decodeValue(tool.getParametersSchema());
        } catch (DecodeException e) {
            log.debug(
                    "tool {}: its parameters schema is not valid JSON; shown as a string: {}",
                    tool.getName(),
                    e.getMessage());
            return tool.getParametersSchema();
        }
    }
}
