package dev.skein.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.BitmapEncoder.BitmapFormat;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** The PNG charts of a bench run, written beside its JSON. */
final class BenchCharts {

    private static final int WIDTH = 900;
    private static final int HEIGHT = 540;

    private BenchCharts() {}

    /** Writes the charts the report has data for; returns the files written. */
    static List<Path> write(BenchReport report, Path dir) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Path> written = new ArrayList<>();
        XYChart latency = latencyDistribution(report);
        if (!latency.getSeriesMap().isEmpty()) {
            written.add(save(latency, dir.resolve("latency-distribution")));
        }
        if (report.historyGrowth() != null) {
            written.add(save(historyBytes(report.historyGrowth()), dir.resolve("history-growth-bytes")));
            written.add(save(historyLatency(report.historyGrowth()), dir.resolve("history-growth-latency")));
        }
        if (report.throughput() != null) {
            written.add(save(throughput(report.throughput()), dir.resolve("throughput")));
        }
        return written;
    }

    /**
     * Latency by percentile, the HdrHistogram way: the x axis is 1/(1-p) on a log scale, so p90,
     * p99 and p99.9 are evenly spaced and the tail is visible.
     */
    private static XYChart latencyDistribution(BenchReport report) {
        XYChart chart = new XYChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title("Latency distribution (x: 10 = p90, 100 = p99, 1000 = p99.9)")
                .xAxisTitle("1 / (1 - percentile)")
                .yAxisTitle("latency (ms)")
                .build();
        chart.getStyler().setXAxisLogarithmic(true).setYAxisLogarithmic(true).setMarkerSize(0);
        if (report.floor() != null) {
            addCurve(chart, "Kafka round trip (floor)", report.floor().roundTrip());
        }
        for (BenchReport.TurnScenario scenario :
                new BenchReport.TurnScenario[] {report.simpleTurn(), report.toolTurn()}) {
            if (scenario == null) {
                continue;
            }
            String name = scenario == report.simpleTurn() ? "simple turn" : "tool turn";
            for (BenchReport.TurnLevel level : scenario.levels()) {
                addCurve(chart, name + ", " + level.sessions() + " sessions", level.latency());
            }
        }
        if (report.httpWebSocket() != null) {
            for (WebSocketLoad.Result level : report.httpWebSocket()) {
                addCurve(chart, "HTTP + WebSocket, " + level.connections() + " sessions", level.percentileCurve());
            }
        }
        return chart;
    }

    private static void addCurve(XYChart chart, String name, Latency latency) {
        addCurve(chart, name, latency.percentileCurve());
    }

    private static void addCurve(XYChart chart, String name, List<double[]> percentileCurve) {
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (double[] point : percentileCurve) {
            x.add(1.0 / (1.0 - point[0] / 100.0));
            y.add(Math.max(point[1], 0.01));
        }
        if (!x.isEmpty()) {
            chart.addSeries(name, x, y).setMarker(SeriesMarkers.NONE);
        }
    }

    private static XYChart historyBytes(HistoryGrowth.Result history) {
        XYChart chart = new XYChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title("History growth: session-messages changelog bytes per turn (window of " + HistoryGrowth.WINDOW
                        + " turns)")
                .xAxisTitle("turn of the session")
                .yAxisTitle("changelog bytes per turn")
                .build();
        chart.getStyler().setYAxisMin(0.0).setMarkerSize(3);
        chart.addSeries(
                "bytes per turn",
                history.windows().stream().map(c -> (double) c.turn()).toList(),
                history.windows().stream()
                        .map(HistoryGrowth.Checkpoint::changelogBytesPerTurn)
                        .toList());
        return chart;
    }

    private static XYChart historyLatency(HistoryGrowth.Result history) {
        XYChart chart = new XYChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title("History growth: turn latency (median of each " + HistoryGrowth.WINDOW + " turns)")
                .xAxisTitle("turn of the session")
                .yAxisTitle("latency (ms)")
                .build();
        chart.getStyler().setYAxisMin(0.0).setMarkerSize(3);
        chart.addSeries(
                "median latency",
                history.windows().stream().map(c -> (double) c.turn()).toList(),
                history.windows().stream()
                        .map(HistoryGrowth.Checkpoint::latencyP50Ms)
                        .toList());
        return chart;
    }

    private static XYChart throughput(BenchReport.Throughput throughput) {
        XYChart chart = new XYChartBuilder()
                .width(WIDTH)
                .height(HEIGHT)
                .title("Open-loop throughput: p99 latency at each offered rate")
                .xAxisTitle("offered turns per second")
                .yAxisTitle("p99 latency (ms)")
                .build();
        chart.getStyler().setYAxisLogarithmic(true).setMarkerSize(6);
        addSteps(chart, "simple turn p99", throughput.simpleSteps());
        addSteps(chart, "tool turn p99", throughput.toolSteps());
        return chart;
    }

    private static void addSteps(XYChart chart, String name, List<BenchReport.TurnLevel> steps) {
        if (steps == null || steps.isEmpty()) {
            return;
        }
        XYSeries series = chart.addSeries(
                name,
                steps.stream().map(BenchReport.TurnLevel::targetPerSecond).toList(),
                steps.stream().map(s -> Math.max(s.latency().p99(), 0.01)).toList());
        series.setMarker(SeriesMarkers.CIRCLE);
    }

    private static Path save(XYChart chart, Path withoutExtension) throws IOException {
        BitmapEncoder.saveBitmap(chart, withoutExtension.toString(), BitmapFormat.PNG);
        return withoutExtension.resolveSibling(withoutExtension.getFileName() + ".png");
    }
}
