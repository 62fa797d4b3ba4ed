package dev.skein.adapters.demo;

import dev.skein.schemas.SummaryRequests;
import java.util.ArrayList;
import java.util.List;

/**
 * The demo agent's answer to a summary request ({@link SummaryRequests}), so that rolling summaries
 * work with no model: the previous summary's lines and one line per user message of the
 * transcript, each cut to {@value #LINE_CHARS} characters. Rolling keeps the first
 * {@value #FIRST_LINES} lines (how the conversation began) and the last {@value #LAST_LINES}, so
 * the summary stays bounded however long the session grows.
 */
final class DemoSummary {

    static final int LINE_CHARS = 120;
    static final int FIRST_LINES = 5;
    static final int LAST_LINES = 25;
    private static final String USER = "user: ";
    private static final String SAID = "- the user said: ";

    private DemoSummary() {}

    static String of(String request) {
        List<String> lines = new ArrayList<>();
        for (String line : SummaryRequests.previous(request).split("\n")) {
            if (line.startsWith("- ")) {
                lines.add(line);
            }
        }
        for (String line : SummaryRequests.transcript(request)) {
            if (line.startsWith(USER)) {
                String said = line.substring(USER.length()).strip();
                lines.add(SAID + (said.length() > LINE_CHARS ? said.substring(0, LINE_CHARS) + "..." : said));
            }
        }
        if (lines.size() > FIRST_LINES + LAST_LINES) {
            List<String> kept = new ArrayList<>(lines.subList(0, FIRST_LINES));
            kept.addAll(lines.subList(lines.size() - LAST_LINES, lines.size()));
            lines = kept;
        }
        return DemoAgent.LABEL + "summary of the earlier conversation:\n" + String.join("\n", lines);
    }
}
