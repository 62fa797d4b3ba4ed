package dev.skein.ingress;

import dev.skein.schemas.ClientText;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where an event of a session's stream lies: the partition and offset of its record on
 * {@code skein.deltas}. Every event a client can receive (a turn's start, its deltas, its
 * completion) is one record of that topic, and a session's records all lie on one partition, so
 * positions are monotonic within a session and the same on every instance. Clients treat the text
 * as opaque: they send back what they were given ({@code Last-Event-ID} or {@code ?after=}).
 *
 * @param partition the session's partition of {@code skein.deltas}
 * @param offset    the record's offset in it
 */
public record StreamPosition(int partition, long offset) {

    /** A partition and an offset, as digits; bounded so that parsing never overflows. */
    private static final Pattern TEXT = Pattern.compile("([0-9]{1,6})-([0-9]{1,18})");

    public StreamPosition {
        if (partition < 0 || offset < 0) {
            throw new IllegalArgumentException("a stream position has no negative parts: " + partition + "-" + offset);
        }
    }

    /**
     * Parses a position a client sent back.
     *
     * @param source what carried it, for the message: {@code "Last-Event-ID"} or {@code "after"}
     * @throws HttpFailure 400 naming the source, when the text is not a position this API gives out
     */
    static StreamPosition parse(String text, String source) {
        Matcher matcher = TEXT.matcher(text == null ? "" : text);
        if (!matcher.matches()) {
            throw HttpFailure.badRequest(source + " " + ClientText.quote(text == null ? "" : text)
                    + " is not a stream position: send back the id of the last event you received"
                    + " (e.g. 2-1734), or leave it out to start from now");
        }
        return new StreamPosition(Integer.parseInt(matcher.group(1)), Long.parseLong(matcher.group(2)));
    }

    /** True when this event comes after {@code other} (same partition: a session has one). */
    boolean isAfter(StreamPosition other) {
        return other == null || offset > other.offset;
    }

    /** The text clients see and send back. */
    @Override
    public String toString() {
        return partition + "-" + offset;
    }
}
