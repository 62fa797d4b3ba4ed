package dev.skein.schemas;

import dev.skein.events.AgentDelta;
import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ApiKey;
import dev.skein.events.DeadLetter;
import dev.skein.events.PushNotificationConfig;
import dev.skein.events.SessionCommand;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.registry.SchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The typed catalog of Skein's topics: every name with its serdes, built once from the prefix
 * (default {@code skein.}) and the schema registry. Keys of session topics are the session
 * address as a string; tool requests are keyed by call id; catalog by tool name; workers by id.
 */
public final class SkeinTopics {

    public static final String DEFAULT_PREFIX = "skein.";

    private final String prefix;
    private final SchemaRegistry registry;
    private final Map<String, Topic<String, ToolRequest>> toolTopics = new ConcurrentHashMap<>();

    public final Topic<String, TurnRequested> turns;
    public final Topic<String, SessionCommand> sessionCommands;
    public final Topic<String, AgentInvocation> agentRequests;
    public final Topic<String, AgentStep> agentSteps;
    public final Topic<String, ToolResult> toolResults;
    public final Topic<String, TurnCompleted> responses;
    public final Topic<String, AgentDelta> deltas;
    public final Topic<String, ToolDefinition> toolCatalog;
    public final Topic<String, WorkerHeartbeat> workers;
    /** Compacted: the shared result cache, keyed by {@code tool@version#sha256(canonical arguments)}. */
    public final Topic<String, ToolResult> resultCache;

    /** Compacted: the API keys the ingress accepts, keyed by key id; a tombstone revokes a key. */
    public final Topic<String, ApiKey> apiKeys;

    /** Compacted: A2A push notification configs, keyed by {@code <tenant>/<taskId>/<id>}; a tombstone deletes one. */
    public final Topic<String, PushNotificationConfig> a2aPushConfigs;

    public final Topic<String, DeadLetter> deadLetters;

    public SkeinTopics(String prefix, SchemaRegistry registry) {
        if (prefix == null || !prefix.matches("[A-Za-z0-9._-]*")) {
            throw new IllegalArgumentException("topic prefix '" + prefix + "' may only use A-Z a-z 0-9 . _ -");
        }
        this.prefix = prefix;
        this.registry = registry;
        this.turns = topic("turns", TurnRequested.class);
        this.sessionCommands = topic("session-commands", SessionCommand.class);
        this.agentRequests = topic("agent-requests", AgentInvocation.class);
        this.agentSteps = topic("agent-steps", AgentStep.class);
        this.toolResults = topic("tool-results", ToolResult.class);
        this.responses = topic("responses", TurnCompleted.class);
        this.deltas = topic("deltas", AgentDelta.class);
        this.toolCatalog = topic("tool-catalog", ToolDefinition.class);
        this.workers = topic("workers", WorkerHeartbeat.class);
        this.resultCache = topic("tool-result-cache", ToolResult.class);
        this.apiKeys = topic("api-keys", ApiKey.class);
        this.a2aPushConfigs = topic("a2a-push-configs", PushNotificationConfig.class);
        this.deadLetters = topic("dead-letters", DeadLetter.class);
    }

    /** The topic of one resource tier: {@code <prefix>tools.<tier>}, keyed by call id. */
    public Topic<String, ToolRequest> tools(String tier) {
        return toolTopics.computeIfAbsent(tier, t -> topic("tools." + t, ToolRequest.class));
    }

    /**
     * A consumer, share or streams group id of this deployment: the prefix with its trailing '.'
     * as '-', then {@code name} ({@code skein-agents}, {@code skein-workers-gpu} by default), so
     * that deployments with different prefixes on one cluster never share a group.
     */
    public String groupId(String name) {
        String base = prefix.endsWith(".") ? prefix.substring(0, prefix.length() - 1) + "-" : prefix;
        return base + name;
    }

    /** The share group of a tier's worker pool: {@code skein-workers-<tier>} by default. */
    public String workerGroup(String tier) {
        return groupId("workers-" + tier);
    }

    /** Topics keyed by session address: they must all have the same partition count. */
    public List<Topic<String, ?>> sessionKeyed() {
        return List.of(turns, sessionCommands, agentRequests, agentSteps, toolResults, responses, deltas);
    }

    public String prefix() {
        return prefix;
    }

    public SchemaRegistry registry() {
        return registry;
    }

    /** A serde for a generated type, sharing this catalog's registry (for stores and ad-hoc topics). */
    public <T extends SpecificRecord> Serde<T> serde(Class<T> type) {
        return AvroSerde.of(type, registry);
    }

    private <V extends SpecificRecord> Topic<String, V> topic(String name, Class<V> type) {
        return new Topic<>(prefix + name, Serdes.String(), AvroSerde.of(type, registry));
    }
}
