package dev.skein.adapters.langchain4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.model.chat.request.json.JsonArraySchema;
import dev.langchain4j.model.chat.request.json.JsonBooleanSchema;
import dev.langchain4j.model.chat.request.json.JsonEnumSchema;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.request.json.JsonRawSchema;
import dev.langchain4j.model.chat.request.json.JsonStringSchema;
import java.util.List;
import org.junit.jupiter.api.Test;

class ToolSpecificationsTest {

    @Test
    void readsAJsonSchemaIntoTypedNodesAndKeepsTheRestRaw() {
        ToolSpecification weather = ToolSpecifications.from(Conversations.WEATHER);

        assertThat(weather.name()).isEqualTo("get_weather");
        assertThat(weather.description()).isEqualTo("Current weather in a city.");
        JsonObjectSchema parameters = weather.parameters();
        assertThat(parameters.required()).containsExactly("city");
        assertThat(parameters.additionalProperties()).isFalse();
        assertThat(parameters.properties().get("city"))
                .isEqualTo(JsonStringSchema.builder()
                        .description("City name, e.g. Paris")
                        .build());
        assertThat(parameters.properties().get("unit"))
                .isInstanceOfSatisfying(
                        JsonEnumSchema.class,
                        unit -> assertThat(unit.enumValues()).containsExactly("celsius", "fahrenheit"));
        assertThat(parameters.properties().get("include_wind")).isInstanceOf(JsonBooleanSchema.class);
        assertThat(parameters.properties().get("fields"))
                .isInstanceOfSatisfying(
                        JsonArraySchema.class,
                        fields -> assertThat(fields.items()).isInstanceOf(JsonStringSchema.class));
        // minimum/maximum have no typed form: the node is kept verbatim so the provider still sees them.
        assertThat(parameters.properties().get("days"))
                .isInstanceOfSatisfying(
                        JsonRawSchema.class,
                        days -> assertThat(Fixtures.parse(days.schema()))
                                .isEqualTo(
                                        Fixtures.parse(
                                                "{\"type\":\"integer\",\"minimum\":1,\"maximum\":7,\"description\":\"Forecast days\"}")));
    }

    @Test
    void aSchemaWithoutTypeOrPropertiesIsAnEmptyObject() {
        assertThat(ToolSpecifications.from(Conversations.tool("ping", "Liveness.", ""))
                        .parameters())
                .isEqualTo(JsonObjectSchema.builder().build());
        assertThat(ToolSpecifications.from(Conversations.tool("ping", "Liveness.", "{\"title\":\"Nothing\"}"))
                        .parameters())
                .isEqualTo(JsonObjectSchema.builder().build());
    }

    @Test
    void schemasThatAreNotObjectSchemasAreRefusedNamingTheTool() {
        assertThatThrownBy(() ->
                        ToolSpecifications.from(List.of(Conversations.tool("calc", "Adds.", "{\"type\":\"string\"}"))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tool 'calc'")
                .hasMessageContaining("must be of type object");
        assertThatThrownBy(() -> ToolSpecifications.from(Conversations.tool("calc", "Adds.", "{\"type\":\"object\"")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("tool 'calc'")
                .hasMessageContaining("not JSON");
        assertThatThrownBy(() -> ToolSpecifications.from(Conversations.tool("calc", "Adds.", "[]")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not a JSON object");
        assertThatThrownBy(() -> ToolSpecifications.from(
                        Conversations.tool("calc", "Adds.", "{\"type\":\"object\",\"properties\":{\"a\":1}}")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cannot read");
    }
}
