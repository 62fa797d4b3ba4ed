package dev.skein.workers.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.workers.ToolFailure;
import org.junit.jupiter.api.Test;

class CalculatorToolTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final CalculatorTool calculator = new CalculatorTool();

    @Test
    void evaluatesWithPrecedenceAndPrintsIntegersPlainly() throws Exception {
        assertThat(calculator.run(expression("12*7"))).isEqualTo("84");
        assertThat(calculator.run(expression("2 + 3 * (4 - 1)"))).isEqualTo("11");
        assertThat(calculator.run(expression("2^10"))).isEqualTo("1024");
        assertThat(calculator.run(expression("10 % 3"))).isEqualTo("1");
        assertThat(calculator.run(expression("7/2"))).isEqualTo("3.5");
        assertThat(calculator.run(expression("-1.25 * 4"))).isEqualTo("-5");
        assertThat(calculator.run(expression("sqrt(16)"))).isEqualTo("4");
    }

    @Test
    void printsLargeResultsWithoutExponent() throws Exception {
        assertThat(calculator.run(expression("10^20"))).isEqualTo("100000000000000000000");
        assertThat(calculator.run(expression("1/8"))).isEqualTo("0.125");
    }

    @Test
    void divisionByZeroIsAFailureTheAgentCanRead() {
        assertThatThrownBy(() -> calculator.run(expression("1/0")))
                .isInstanceOf(ToolFailure.class)
                .hasMessage("division by zero in '1/0'");
    }

    @Test
    void syntaxErrorsSayWhatIsWrong() {
        assertThatThrownBy(() -> calculator.run(expression("12*")))
                .isInstanceOf(ToolFailure.class)
                .hasMessageStartingWith("'12*' is not a valid expression");
        assertThatThrownBy(() -> calculator.run(expression("x + 1")))
                .isInstanceOf(ToolFailure.class)
                .hasMessageContaining("'x + 1' is not a valid expression");
        assertThatThrownBy(() -> calculator.run(expression("(1 + 2")))
                .isInstanceOf(ToolFailure.class)
                .hasMessageContaining("is not a valid expression");
    }

    @Test
    void aMissingExpressionIsExplained() {
        assertThatThrownBy(() -> calculator.run(JSON.readTree("{\"expr\":\"1+1\"}")))
                .isInstanceOf(ToolFailure.class)
                .hasMessageContaining("{\"expression\": \"12*7\"}");
    }

    @Test
    void itsSchemaIsJson() throws Exception {
        JsonNode schema = JSON.readTree(calculator.parametersSchema());
        assertThat(schema.at("/required/0").asText()).isEqualTo("expression");
    }

    private static JsonNode expression(String text) {
        return JSON.createObjectNode().put("expression", text);
    }
}
