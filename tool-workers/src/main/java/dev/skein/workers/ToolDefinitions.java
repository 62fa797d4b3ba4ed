package dev.skein.workers;

import dev.skein.events.ToolDefinition;
import java.util.Objects;

/** The catalog entry ({@link ToolDefinition}) a worker publishes for each of its tools. */
public final class ToolDefinitions {

    private ToolDefinitions() {}

    /** The definition of {@code tool} as announced by the worker {@code publisher}. */
    public static ToolDefinition of(Tool tool, String publisher) {
        Objects.requireNonNull(publisher, "publisher");
        return ToolDefinition.newBuilder()
                .setName(tool.name())
                .setDescription(tool.description())
                .setVersion(tool.version())
                .setParametersSchema(tool.parametersSchema())
                .setResources(tool.resources().toSpec())
                .setTimeoutMs(tool.timeout().toMillis())
                .setRetry(tool.retry().toPolicy())
                .setCacheable(tool.cacheable())
                .setRequiresApproval(tool.requiresApproval())
                .setCacheTtlMs(tool.cacheTtl().toMillis())
                .setPublisher(publisher)
                .setSideEffects(tool.sideEffects())
                .build();
    }
}
