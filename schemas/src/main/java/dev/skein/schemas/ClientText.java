package dev.skein.schemas;

/**
 * A value a client sent, made fit to stand in an error message: a message that echoes input whole
 * lets one request make every error, log line and trace as large as the input allows, and control
 * characters in it can forge log lines or hide text in a terminal. So every echo goes through
 * {@link #quote}: at most {@value #MAX_SHOWN} characters, then {@code ...}; control, format
 * (bidirectional overrides, zero-width) and unpaired surrogate characters written as {@code \n},
 * {@code \t}, {@code \r} or {@code \\uXXXX}.
 */
public final class ClientText {

    /** How many characters of the value are shown at most. */
    public static final int MAX_SHOWN = 64;

    private ClientText() {}

    /** The value between single quotes, bounded and escaped; {@code null} for a missing value. */
    public static String quote(String value) {
        return value == null ? "null" : "'" + shown(value) + "'";
    }

    /** The value bounded and escaped, without quotes. */
    public static String shown(String value) {
        if (value == null) {
            return "null";
        }
        StringBuilder out = new StringBuilder(Math.min(value.length(), MAX_SHOWN) + 8);
        int shown = 0;
        int i = 0;
        while (i < value.length() && shown < MAX_SHOWN) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c)
                    && i + 1 < value.length()
                    && Character.isLowSurrogate(value.charAt(i + 1))) {
                int codePoint = Character.toCodePoint(c, value.charAt(i + 1));
                if (Character.getType(codePoint) == Character.FORMAT) {
                    out.append(escaped(c)).append(escaped(value.charAt(i + 1)));
                } else {
                    out.appendCodePoint(codePoint);
                }
                i += 2;
            } else {
                out.append(needsEscape(c) ? escaped(c) : String.valueOf(c));
                i++;
            }
            shown++;
        }
        if (i < value.length()) {
            out.append("...");
        }
        return out.toString();
    }

    private static boolean needsEscape(char c) {
        return Character.isISOControl(c) || Character.isSurrogate(c) || Character.getType(c) == Character.FORMAT;
    }

    private static String escaped(char c) {
        return switch (c) {
            case '\n' -> "\\n";
            case '\r' -> "\\r";
            case '\t' -> "\\t";
            default -> String.format("\\u%04X", (int) c);
        };
    }
}
