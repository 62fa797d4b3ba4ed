package dev.skein.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.workers.builtin.NoopTool;
import dev.skein.workers.builtin.SleepTool;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.NotNull;
import java.util.List;
import org.junit.jupiter.api.Test;

class TypedToolTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A forecast request: city required, days optional (boxed), units optional. */
    record Forecast(
            @NotNull @JsonPropertyDescription("The city") String city,
            @Max(14) Integer days,
            List<String> units) {}

    static final class ForecastTool extends TypedTool<Forecast> {
        ForecastTool() {
            super(Forecast.class);
        }

        @Override
        public String name() {
            return "forecast";
        }

        @Override
        public String description() {
            return "weather";
        }

        @Override
        protected String call(Forecast arguments) {
            return arguments.city() + " " + (arguments.days() == null ? 3 : arguments.days()) + " " + arguments.units();
        }
    }

    @Test
    void theSchemaIsDerivedFromTheRecord() throws Exception {
        JsonNode schema = JSON.readTree(new ForecastTool().parametersSchema());

        assertThat(schema.get("type").asText()).isEqualTo("object");
        assertThat(schema.get("additionalProperties").asBoolean()).isFalse();
        assertThat(schema.at("/properties/city/type").asText()).isEqualTo("string");
        assertThat(schema.at("/properties/city/description").asText()).isEqualTo("The city");
        assertThat(schema.at("/properties/days/type").asText()).isEqualTo("integer");
        assertThat(schema.at("/properties/days/maximum").asInt()).isEqualTo(14);
        assertThat(schema.at("/properties/units/type").asText()).isEqualTo("array");
        assertThat(schema.get("required")).extracting(JsonNode::asText).containsExactly("city");
    }

    @Test
    void argumentsAreBoundToTheRecord() throws Exception {
        ForecastTool tool = new ForecastTool();

        assertThat(tool.run(JSON.readTree("{\"city\":\"Oslo\",\"days\":5,\"units\":[\"C\"]}")))
                .isEqualTo("Oslo 5 [C]");
        assertThat(tool.run(JSON.readTree("{\"city\":\"Oslo\"}"))).isEqualTo("Oslo 3 null");
    }

    @Test
    void bindingErrorsSayWhatIsWrongAndWhatTheToolTakes() {
        ForecastTool tool = new ForecastTool();

        assertThatThrownBy(() -> tool.run(JSON.readTree("{\"days\":2}")))
                .isInstanceOf(ToolFailure.class)
                .hasMessageStartingWith("forecast is missing argument 'city'; it takes {");
        assertThatThrownBy(() -> tool.run(JSON.readTree("{\"city\":\"Oslo\",\"country\":\"NO\"}")))
                .isInstanceOf(ToolFailure.class)
                .hasMessageStartingWith("forecast has no argument 'country'");
        assertThatThrownBy(() -> tool.run(JSON.readTree("{\"city\":\"Oslo\",\"days\":\"five\"}")))
                .isInstanceOf(ToolFailure.class)
                .hasMessageStartingWith("argument 'days' of forecast must be an integer");
        assertThatThrownBy(() -> tool.run(JSON.readTree("{\"city\":\"Oslo\",\"units\":\"C\"}")))
                .isInstanceOf(ToolFailure.class)
                .hasMessageStartingWith("argument 'units' of forecast must be an array");
    }

    @Test
    void aPrimitiveArgumentIsRequiredAndNeverSilentlyZero() throws Exception {
        SleepTool sleep = new SleepTool();
        JsonNode schema = JSON.readTree(sleep.parametersSchema());

        assertThat(schema.get("required")).extracting(JsonNode::asText).containsExactly("ms");
        assertThat(schema.at("/properties/ms/maximum").asLong()).isEqualTo(600_000);
        assertThat(schema.at("/properties/ms/minimum").asLong()).isZero();
        assertThatThrownBy(() -> sleep.run(JSON.readTree("{}")))
                .hasMessageStartingWith("sleep is missing argument 'ms'");
        assertThatThrownBy(() -> sleep.run(JSON.readTree("{\"ms\":null}"))).hasMessageStartingWith("sleep is missing");
        assertThatThrownBy(() -> sleep.run(JSON.readTree("{\"ms\":700000}")))
                .hasMessage("ms must be between 0 and 600000, got 700000");
        assertThat(sleep.run(JSON.readTree("{\"ms\":20}"))).isEqualTo("slept 20 ms");
    }

    @Test
    void sleepStopsWhenInterrupted() throws Exception {
        SleepTool sleep = new SleepTool();
        java.util.concurrent.CompletableFuture<Throwable> outcome = new java.util.concurrent.CompletableFuture<>();
        Thread thread = Thread.ofVirtual().start(() -> {
            try {
                sleep.run(JSON.readTree("{\"ms\":60000}"));
                outcome.complete(null);
            } catch (Exception e) {
                outcome.complete(e);
            }
        });
        Thread.sleep(50);
        thread.interrupt();

        assertThat(outcome.get(5, java.util.concurrent.TimeUnit.SECONDS)).isInstanceOf(InterruptedException.class);
    }

    @Test
    void noopTakesNothingAndSaysOk() throws Exception {
        NoopTool noop = new NoopTool();

        assertThat(noop.run(JSON.readTree("{}"))).isEqualTo("ok");
        assertThat(JSON.readTree(noop.parametersSchema())
                        .get("additionalProperties")
                        .asBoolean())
                .isFalse();
        assertThatThrownBy(() -> noop.run(JSON.readTree("{\"x\":1}")))
                .hasMessageStartingWith("noop has no argument 'x'");
    }
}
