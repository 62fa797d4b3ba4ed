package dev.skein.ingress;

import dev.skein.schemas.ClientText;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one duration syntax of the API, the one the configuration uses (HOCON): a non-negative
 * decimal number with a unit, {@code 500ms}, {@code 30s}, {@code 2m}, {@code 1h}; a plain number
 * is seconds ({@code 2}, {@code 0.5}).
 */
final class DurationText {

    /** What the error messages name as accepted. */
    static final String FORMS = "a number of seconds (2, 0.5) or a duration with a unit (500ms, 30s, 2m)";

    private static final Pattern SYNTAX = Pattern.compile("(\\d{1,12}(?:\\.\\d{1,9})?|\\.\\d{1,9}) ?(ms|s|m|h)?");

    private DurationText() {}

    /**
     * @throws IllegalArgumentException when {@code text} is not in the syntax above (negative,
     *                                  {@code Infinity}, an unknown unit, a sign, an exponent)
     */
    static Duration parse(String text) {
        Matcher m = SYNTAX.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(ClientText.quote(text) + " is not " + FORMS);
        }
        BigDecimal amount = new BigDecimal(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        BigDecimal millis = switch (unit) {
            case "ms" -> amount;
            case "s" -> amount.movePointRight(3);
            case "m" -> amount.multiply(BigDecimal.valueOf(60_000));
            default -> amount.multiply(BigDecimal.valueOf(3_600_000));
        };
        // Rounded up to whole milliseconds, so that a positive request never becomes zero.
        return Duration.ofMillis(
                millis.setScale(0, java.math.RoundingMode.CEILING).longValueExact());
    }
}
