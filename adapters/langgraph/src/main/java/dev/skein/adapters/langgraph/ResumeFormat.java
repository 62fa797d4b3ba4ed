package dev.skein.adapters.langgraph;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.skein.adapters.AgentSpec;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The shape of the value a graph's {@code interrupt()} returns when Skein resumes it with tool
 * results (option {@code resume-format}). Each result is
 * {@code {"tool_call_id", "content", "status"}} in both shapes; only the wrapper differs.
 */
enum ResumeFormat {
    /** {@code {"tool_results": [...]}}: Skein's own shape, the default, so existing graphs keep working. */
    TOOL_RESULTS_OBJECT("tool-results-object"),
    /** {@code [...]}: the list of tool messages that graphs written for other callers read. */
    TOOL_MESSAGES_LIST("tool-messages-list");

    static final String OPTION = "resume-format";

    private final String option;

    ResumeFormat(String option) {
        this.option = option;
    }

    /** The agent's {@code resume-format}, default {@link #TOOL_RESULTS_OBJECT}; an unknown value names the key. */
    static ResumeFormat of(AgentSpec spec) {
        String value =
                spec.option(OPTION).orElse(TOOL_RESULTS_OBJECT.option).strip().toLowerCase(Locale.ROOT);
        return Arrays.stream(values())
                .filter(format -> format.option.equals(value))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("skein.agents.definitions." + spec.name() + "."
                        + OPTION + " must be one of "
                        + Arrays.stream(values()).map(f -> f.option).collect(Collectors.joining(", "))
                        + ", got '" + value + "'"));
    }

    /** The resume value for one interrupt whose calls these results answer. */
    JsonNode wrap(ArrayNode results, ObjectMapper json) {
        return switch (this) {
            case TOOL_RESULTS_OBJECT -> json.createObjectNode().set("tool_results", results);
            case TOOL_MESSAGES_LIST -> results;
        };
    }
}
