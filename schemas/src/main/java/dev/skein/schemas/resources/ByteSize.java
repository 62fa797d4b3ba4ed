package dev.skein.schemas.resources;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Memory sizes as people write them: {@code 512m}, {@code 64g}, {@code 16GiB}, {@code 1.5g},
 * {@code 1048576}. Every unit is binary (k = 1024), as in the JVM's {@code -Xmx} and Kubernetes'
 * {@code Gi}: a worker configured with {@code --memory 64g}, a tier bounded by {@code 64GiB} and a
 * tool needing {@code 64GB} agree.
 *
 * <p>Note that HOCON's {@code Config.getBytes} reads {@code GB} as 10^9 bytes: configuration that
 * is compared with tools' needs should be read with {@link #parse} instead.
 */
public final class ByteSize {

    private static final Pattern SIZE =
            Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgtp]?)(i?b?)", Pattern.CASE_INSENSITIVE);
    private static final String UNITS = "kmgtp";
    private static final String[] NAMES = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    // Messages stop at GiB: configuration and tools write GiB (32GiB, 512GiB), so a message says
    // "1024 GiB" where the reader wrote 1024GiB, not "1 TiB".
    private static final int GIB = 3;

    private ByteSize() {}

    /**
     * The number of bytes {@code text} stands for.
     *
     * @throws IllegalArgumentException when it is not a size, or is larger than {@link Long#MAX_VALUE}
     */
    public static long parse(String text) {
        Matcher m = text == null ? null : SIZE.matcher(text.strip());
        if (m == null || !m.matches() || (m.group(2).isEmpty() && m.group(3).equalsIgnoreCase("i"))) {
            throw new IllegalArgumentException("'" + text + "' is not a size: write a number with an optional unit"
                    + " k, m, g or t, e.g. 512m, 64g or 16GiB");
        }
        int power = m.group(2).isEmpty() ? 0 : UNITS.indexOf(m.group(2).toLowerCase(Locale.ROOT)) + 1;
        BigDecimal bytes =
                new BigDecimal(m.group(1)).multiply(BigDecimal.valueOf(1024).pow(power));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("'" + text + "' is larger than " + Long.MAX_VALUE + " bytes");
        }
        return bytes.longValue();
    }

    /**
     * {@code bytes} in the largest binary unit up to GiB in which it is at least 1, with at most two
     * decimals: {@code 100 B}, {@code 512 MiB}, {@code 1.5 GiB}, {@code 1024 GiB}.
     */
    public static String format(long bytes) {
        return format(bytes, GIB);
    }

    /**
     * {@code bytes} in the largest binary unit, up to EiB, in which it is at least 1, with at most two
     * decimals: {@code 512 MiB}, {@code 1.5 GiB}, {@code 64 TiB}. For showing a size on its own (the
     * API's catalog), where no configured value is quoted back.
     */
    public static String formatInLargestUnit(long bytes) {
        return format(bytes, NAMES.length - 1);
    }

    private static String format(long bytes, int largestUnit) {
        int unit = 0;
        BigDecimal value = BigDecimal.valueOf(bytes);
        BigDecimal step = BigDecimal.valueOf(1024);
        while (value.abs().compareTo(step) >= 0 && unit < largestUnit) {
            value = value.divide(step);
            unit++;
        }
        String number =
                value.setScale(2, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
        return number + " " + NAMES[unit];
    }
}
