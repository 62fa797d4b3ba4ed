package dev.skein.topologies.session;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.ToolDefinition;
import org.junit.jupiter.api.Test;

/** {@link ToolArguments}: an agent's arguments against the tool's JSON Schema. */
class ToolArgumentsTest {

    private final ToolArguments arguments = new ToolArguments();

    @Test
    void argumentsThatMatchTheSchemaAreAccepted() {
        assertThat(arguments.problem(tool(1, SessionEvents.N_SCHEMA), "{\"n\": 3}"))
                .isNull();
    }

    @Test
    void argumentsThatAreNotJsonSayWhy() {
        assertThat(arguments.problem(tool(1, SessionEvents.N_SCHEMA), "{\"n\": "))
                .startsWith("arguments of square are not valid JSON: ");
    }

    @Test
    void argumentsMustBeAJsonObject() {
        ToolDefinition tool = tool(1, "{\"type\":\"object\"}");

        assertThat(arguments.problem(tool, "[1,2]")).isEqualTo("arguments of square must be a JSON object, got: [1,2]");
        assertThat(arguments.problem(tool, "  ")).isEqualTo("arguments of square must be a JSON object, got:   ");
        assertThat(arguments.problem(tool, null)).isEqualTo("arguments of square must be a JSON object, got: null");
        String longArray = "[" + "1,".repeat(200) + "1]";
        assertThat(arguments.problem(tool, longArray)).endsWith(longArray.substring(0, 200) + "...");
    }

    @Test
    void schemaViolationsAreListedInOrderWithTheSchemaTheAgentShouldFollow() {
        String problem = arguments.problem(tool(1, SessionEvents.N_SCHEMA), "{\"n\":\"three\",\"m\":1}");

        assertThat(problem).startsWith("invalid arguments for square: ");
        String[] violations = problem.substring(
                        "invalid arguments for square: ".length(), problem.indexOf(". Expected"))
                .split("; ");
        assertThat(violations).hasSize(2).isSorted();
        assertThat(problem).contains("integer").contains("m");
        assertThat(problem).endsWith(". Expected arguments matching this JSON Schema: " + SessionEvents.N_SCHEMA);
    }

    @Test
    void aSchemaThatCannotBeReadIsTheToolsFaultAndSaysSo() {
        assertThat(arguments.problem(tool(1, "{not a schema"), "{}"))
                .startsWith("tool square declares an argument schema that cannot be read: ");
    }

    @Test
    void aChangedSchemaIsUsedEvenWhenNameAndVersionStayTheSame() {
        assertThat(arguments.problem(tool(1, "{\"type\":\"object\"}"), "{\"n\":\"three\"}"))
                .isNull();

        assertThat(arguments.problem(tool(1, SessionEvents.N_SCHEMA), "{\"n\":\"three\"}"))
                .startsWith("invalid arguments for square");
    }

    private static ToolDefinition tool(int version, String schema) {
        return ToolDefinition.newBuilder()
                .setName("square")
                .setDescription("square")
                .setVersion(version)
                .setParametersSchema(schema)
                .setResources(ResourceSpec.newBuilder().build())
                .setRetry(RetryPolicy.newBuilder().build())
                .build();
    }
}
