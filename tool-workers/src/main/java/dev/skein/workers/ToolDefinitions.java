package dev.skein.workers;

import dev.skein.events.RetryPolicy;
import dev.skein.events.ToolDefinition;

/** The catalog entry ({@link ToolDefinition}) a worker publishes for each of its tools. */
public final class ToolDefinitions {

    private ToolDefinitions() {}

    /** The definition of {@code tool} as served by the workers of {@code tier}. */
    public static ToolDefinition of(Tool tool, String tier) {
        if (tier == null || tier.isBlank()) {
            throw new IllegalArgumentException("tool " + tool.name() + " needs a tier");
        }
        return ToolDefinition.newBuilder()
                .setName(tool.name())
                .setDescription(tool.description())
                .setParametersSchema(tool.parametersSchema())
                .setResources(tool.resources())
                .setTimeoutMs(tool.timeoutMs())
                .setRetry(RetryPolicy.newBuilder().build())
                .setCacheable(tool.cacheable())
                .setRequiresApproval(false)
                .setTier(tier)
                .build();
    }
}
