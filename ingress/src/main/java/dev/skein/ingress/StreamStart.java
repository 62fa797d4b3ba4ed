package dev.skein.ingress;

import java.time.Instant;

/**
 * Where a subscription starts: now (live events only), after a position a client resumes from,
 * or at the first event written since an instant (a turn's stream, whose start is not known).
 */
public record StreamStart(StreamPosition after, Instant since) {

    public static final StreamStart NOW = new StreamStart(null, null);

    public StreamStart {
        if (after != null && since != null) {
            throw new IllegalArgumentException("a stream starts after a position or since an instant, not both");
        }
    }

    public static StreamStart after(StreamPosition position) {
        return position == null ? NOW : new StreamStart(position, null);
    }

    public static StreamStart since(Instant instant) {
        return new StreamStart(null, instant);
    }

    /** True when the start lies in the topic: a replay reads up to the live point first. */
    boolean replays() {
        return after != null || since != null;
    }
}
