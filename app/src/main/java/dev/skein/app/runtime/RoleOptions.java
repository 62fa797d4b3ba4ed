package dev.skein.app.runtime;

import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentRunnerOptions;
import dev.skein.adapters.AgentSpec;
import dev.skein.app.config.SkeinConfig;
import dev.skein.ingress.IngressConfig;
import dev.skein.ingress.SessionAdmission;
import dev.skein.schemas.kafka.Dispatch;
import dev.skein.topologies.routing.TierEnvelope;
import dev.skein.workers.WorkerOptions;
import dev.skein.workers.node.NodeCapabilities;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What the configuration makes of each role's component: the options of the ingress, the
 * agent runner, the tool worker, and what the ingress refuses at once. {@link SkeinNode} starts
 * the components; this is where a new key of a role is wired into its options.
 */
final class RoleOptions {

    private RoleOptions() {}

    /** The HTTP API's settings, on {@code port} (chosen already when configured as 0). */
    static IngressConfig ingress(SkeinConfig config, int port) {
        return IngressConfig.builder()
                .host(config.httpHost())
                .port(port)
                .maxMessageBytes(config.maxMessageBytes())
                .defaultTenant(config.defaultTenant())
                .waits(config.defaultWait(), config.maxWait())
                .workerTimeout(config.sessionTopology().workerTimeout())
                .idleTimeout(config.httpIdleTimeout())
                .requestHeaderTimeout(config.httpRequestHeaderTimeout())
                .auth(config.auth())
                .tls(config.httpTls())
                .access(config.tenantAccess())
                .a2a(config.a2a())
                .agents(config.agents().stream().map(AgentSpec::name).toList())
                .build();
    }

    static AgentRunnerOptions agentRunner(SkeinConfig config, String group) {
        return AgentRunnerOptions.builder()
                .groupId(group)
                .defaultAgent(config.sessionTopology().defaultAgent())
                .agentTimeout(config.agentTimeout())
                .sessionTimeout(config.agentSessionTimeout())
                .dispatch(config.agentDispatch())
                .deltaWindow(config.pools().deltaWindow())
                .consumers(config.pools().agentConsumers())
                .pollTimeout(
                        config.agentDispatch() == Dispatch.COMMITTED
                                ? AgentRunnerOptions.DEFAULT_POLL_TIMEOUT
                                : Dispatch.SPECULATIVE_POLL_TIMEOUT)
                .build();
    }

    /**
     * The worker's options: the {@code detected} node with what the configuration says instead,
     * serving the configured tiers, or every tier the node could take (a GPU tier only with GPUs).
     */
    static WorkerOptions worker(SkeinConfig config, NodeCapabilities detected) {
        NodeCapabilities node = detected;
        node = config.workerCpus().map(node::withCpus).orElse(node);
        node = config.workerGpus().map(node::withGpus).orElse(node);
        node = config.workerMemoryBytes().map(node::withMemoryBytes).orElse(node);
        node = node.withResources(config.workerResources());
        int gpus = node.resources().gpus();
        List<String> tiers = config.workerTiers().isEmpty()
                ? config.tiers().stream()
                        .filter(t -> t.minGpus() <= gpus)
                        .map(TierEnvelope::name)
                        .toList()
                : config.workerTiers();
        return WorkerOptions.builder()
                .workerId(config.workerId().orElseGet(WorkerOptions::localWorkerId))
                .tiers(tiers)
                .capabilities(node)
                .heartbeatInterval(config.heartbeatInterval())
                .maxInFlight(config.workerMaxInFlight())
                .consumers(config.pools().workerConsumers())
                .sessionTimeout(config.workerSessionTimeout())
                .dispatch(config::tierDispatch)
                .pollTimeout(
                        tiers.stream().allMatch(tier -> config.tierDispatch(tier) == Dispatch.COMMITTED)
                                ? WorkerOptions.DEFAULT_POLL_TIMEOUT
                                : Dispatch.SPECULATIVE_POLL_TIMEOUT)
                .build();
    }

    /**
     * What a session would refuse at once, checked by the ingress: the configured double-texting
     * policy and queue length, and the agents a turn may name: those of {@code skein.agents} (every
     * process of a deployment shares them) and those built in code in this process.
     */
    static SessionAdmission sessionAdmission(SkeinConfig config, List<AgentAdapter> adapters) {
        Set<String> agents = new TreeSet<>();
        config.agents().forEach(spec -> agents.add(spec.name()));
        adapters.forEach(adapter -> agents.add(adapter.name()));
        return new SessionAdmission(
                config.doubleTexting(), config.sessionTopology().maxQueuedTurns(), agents);
    }
}
