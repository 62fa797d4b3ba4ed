package dev.skein.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * The percentiles of one set of latencies, in milliseconds, taken from an HdrHistogram of
 * nanoseconds (3 significant digits, up to 5 minutes).
 *
 * @param percentileCurve (percentile, milliseconds) points of the whole distribution, for charts
 */
public record Latency(
        long count,
        double p50,
        double p90,
        double p99,
        double p999,
        double max,
        double mean,
        List<double[]> percentileCurve) {

    /** A histogram that threads may record into at once. */
    public static Histogram histogram() {
        return new ConcurrentHistogram(TimeUnit.MINUTES.toNanos(5), 3);
    }

    public static Latency of(Histogram nanos) {
        List<double[]> curve = new ArrayList<>();
        if (nanos.getTotalCount() > 0) {
            for (HistogramIterationValue value : nanos.percentiles(5)) {
                double percentile = value.getPercentileLevelIteratedTo();
                if (percentile >= 100.0) {
                    break;
                }
                curve.add(new double[] {percentile, value.getValueIteratedTo() / 1e6});
            }
        }
        return new Latency(
                nanos.getTotalCount(),
                ms(nanos, 50),
                ms(nanos, 90),
                ms(nanos, 99),
                ms(nanos, 99.9),
                nanos.getMaxValue() / 1e6,
                nanos.getTotalCount() == 0 ? 0 : nanos.getMean() / 1e6,
                List.copyOf(curve));
    }

    private static double ms(Histogram nanos, double percentile) {
        return nanos.getValueAtPercentile(percentile) / 1e6;
    }
}
