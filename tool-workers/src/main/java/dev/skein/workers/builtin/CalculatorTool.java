package dev.skein.workers.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.workers.Tool;
import dev.skein.workers.ToolFailure;
import java.math.BigDecimal;
import net.objecthunter.exp4j.Expression;
import net.objecthunter.exp4j.ExpressionBuilder;

/**
 * Evaluates an arithmetic expression: {@code + - * / ^ %}, parentheses, decimals and exp4j's
 * functions ({@code sqrt}, {@code abs}, {@code log}, {@code sin}...). The answer is a plain number:
 * integers without {@code .0}.
 */
public final class CalculatorTool implements Tool {

    public static final String NAME = "calculator";
    private static final int MAX_LENGTH = 1_000;
    // Above 2^53 a double no longer holds every integer: print those in scientific-free decimal form.
    private static final double EXACT_INTEGER_LIMIT = 9_007_199_254_740_992d;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Evaluates an arithmetic expression such as \"12*7\" or \"(2.5 + 3) ^ 2 % 7\": + - * / ^ %, parentheses,"
                + " decimals and functions like sqrt, abs, log. Returns the number.";
    }

    @Override
    public String parametersSchema() {
        return """
                {"type":"object",\
                "properties":{"expression":{"type":"string","minLength":1,"maxLength":1000,\
                "description":"The expression to evaluate, e.g. 12*7"}},\
                "required":["expression"],"additionalProperties":false}""";
    }

    @Override
    public boolean cacheable() {
        return true;
    }

    @Override
    public String run(JsonNode arguments) throws ToolFailure {
        JsonNode node = arguments.get("expression");
        if (node == null || !node.isTextual() || node.asText().isBlank()) {
            throw new ToolFailure(
                    "calculator needs {\"expression\": \"<arithmetic>\"}, e.g. {\"expression\": \"12*7\"}");
        }
        String expression = node.asText().strip();
        if (expression.length() > MAX_LENGTH) {
            throw new ToolFailure(
                    "the expression is " + expression.length() + " characters long; the limit is " + MAX_LENGTH);
        }
        double value;
        try {
            Expression parsed = new ExpressionBuilder(expression).build();
            value = parsed.evaluate();
        } catch (ArithmeticException e) {
            throw new ToolFailure("division by zero in '" + expression + "'", e);
        } catch (IllegalArgumentException | IllegalStateException | java.util.EmptyStackException e) {
            // exp4j reports syntax errors (unknown symbols, missing operands, unbalanced parentheses) this way.
            throw new ToolFailure(
                    "'" + expression + "' is not a valid expression: " + e.getMessage()
                            + ". Use numbers, + - * / ^ %, parentheses and functions like sqrt(x).",
                    e);
        }
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new ToolFailure("'" + expression + "' has no finite result (got " + value + ")");
        }
        return format(value);
    }

    static String format(double value) {
        if (value == Math.rint(value) && Math.abs(value) < EXACT_INTEGER_LIMIT) {
            return Long.toString((long) value);
        }
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    /** It evaluates an expression: safe to start before the session topology commits its request. */
    @Override
    public boolean sideEffects() {
        return false;
    }
}
