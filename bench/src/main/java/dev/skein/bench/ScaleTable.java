package dev.skein.bench;

import java.io.PrintStream;
import java.util.Locale;

/** The scale bench's figures as Markdown tables, one column per size. */
final class ScaleTable {

    private ScaleTable() {}

    static void print(ScaleBench.Report report, PrintStream out) {
        out.println();
        StringBuilder header = new StringBuilder("| sessions (10 messages each) |");
        StringBuilder rule = new StringBuilder("|---|");
        for (ScaleBench.Size size : report.sizes()) {
            header.append(String.format(Locale.ROOT, " %,d |", size.sessions()));
            rule.append("---:|");
        }
        out.println(header);
        out.println(rule);
        row(out, report, "load (" + load(report) + ")", s -> seconds(s.loadSeconds()));
        row(out, report, "first start, fresh state dir, until healthy", s -> seconds(s.firstRestoreSeconds()));
        row(out, report, "restart after SIGKILL: healthy", s -> ms(s.restart().healthyMs()));
        row(
                out,
                report,
                "restart after SIGKILL: every probe answered",
                s -> ms(s.restart().allAnswerMs()));
        row(
                out,
                report,
                "standby pair: both healthy, fresh state dirs",
                s -> seconds(s.standby().pairStartSeconds()));
        row(
                out,
                report,
                "standby takeover after SIGKILL: first probe",
                s -> ms(s.standby().firstAnswerMs()));
        row(
                out,
                report,
                "standby takeover after SIGKILL: every probe",
                s -> ms(s.standby().allAnswerMs()));
        row(
                out,
                report,
                "histories intact (restart; standby)",
                s -> s.restart().intact() + "/" + s.restart().checked() + "; "
                        + s.standby().intact() + "/" + s.standby().checked());
        row(out, report, "short history read p50 / p99", s -> latency(s.reads().shortSession()));
        row(
                out,
                report,
                "long history read p50 / p99",
                s -> latency(s.reads().longSession()) + " (" + s.reads().longMessages() + " msgs, "
                        + kib(s.reads().longBytes()) + ")");
        row(out, report, "changelog bytes / session", s -> bytes(s.footprint().changelogBytesPerSession()));
        row(out, report, "state dir bytes / session", s -> bytes(s.footprint().stateDirBytesPerSession()));
        row(
                out,
                report,
                "other topics' bytes / turn that crossed them",
                s -> bytes(s.footprint().otherTopicBytesPerTurn()));
        row(out, report, "heap after GC / session", s -> bytes(s.footprint().heapBytesPerSession()));
        row(out, report, "resident set / session", s -> bytes(s.footprint().residentBytesPerSession()));
        row(
                out,
                report,
                "heap after GC, resident set (total)",
                s -> mib(s.footprint().after().heapUsedBytes()) + ", "
                        + mib(s.footprint().after().residentBytes()));
        out.println();
        for (ContextBench.Figure f : report.context()) {
            out.printf(
                    Locale.ROOT,
                    "context builder, %,d messages, %s: p50 %.3f ms, p99 %.3f ms%n",
                    f.messages(),
                    f.pass(),
                    f.latency().p50(),
                    f.latency().p99());
        }
        out.printf(Locale.ROOT, "load average at the end: %.2f%n", report.loadAverage());
        out.println(report.defects().isEmpty() ? "defects: none" : "DEFECTS: " + report.defects());
    }

    private static String load(ScaleBench.Report report) {
        return report.sizes().isEmpty() ? "" : report.sizes().get(0).load();
    }

    private static void row(
            PrintStream out,
            ScaleBench.Report report,
            String name,
            java.util.function.Function<ScaleBench.Size, String> cell) {
        StringBuilder line = new StringBuilder("| ").append(name).append(" |");
        for (ScaleBench.Size size : report.sizes()) {
            line.append(' ').append(cell.apply(size)).append(" |");
        }
        out.println(line);
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.1f s", s);
    }

    private static String ms(double ms) {
        return ms < 0 ? "-" : String.format(Locale.ROOT, "%,.0f ms", ms);
    }

    private static String latency(Latency l) {
        return String.format(Locale.ROOT, "%.1f / %.1f ms", l.p50(), l.p99());
    }

    private static String bytes(double b) {
        return String.format(Locale.ROOT, "%,.0f B", b);
    }

    private static String kib(long b) {
        return String.format(Locale.ROOT, "%,.0f KiB", b / 1024.0);
    }

    private static String mib(long b) {
        return b < 0 ? "?" : String.format(Locale.ROOT, "%,.0f MiB", b / 1048576.0);
    }
}
