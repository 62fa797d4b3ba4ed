package dev.skein.ingress;

import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.schemas.ClientText;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What {@code GET /v1/sessions} asks for: the statuses, the oldest last activity, where the previous
 * page ended and how many to return. Sessions come newest activity first, ties by id; the same
 * order on every instance, so that their pages merge.
 *
 * @param statuses the statuses to include; all when empty
 * @param activeSinceMs include sessions last active at or after this time; 0 for all
 * @param after the last session of the previous page; null for the first page
 * @param limit how many at most
 */
public record SessionQuery(Set<SessionStatus> statuses, long activeSinceMs, Cursor after, int limit) {

    public static final int DEFAULT_LIMIT = 50;
    public static final int MAX_LIMIT = 500;

    /** Newest activity first, then by session id. */
    public static final Comparator<SessionMeta> ORDER =
            Comparator.comparingLong(SessionMeta::getUpdatedAtMs).reversed().thenComparing(SessionMeta::getSessionId);

    public SessionQuery {
        statuses = statuses.isEmpty() ? EnumSet.allOf(SessionStatus.class) : EnumSet.copyOf(statuses);
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new IllegalArgumentException("limit must be 1 to " + MAX_LIMIT + ", was " + limit);
        }
    }

    /** The position of a session in {@link #ORDER}: a page starts after it. */
    public record Cursor(long updatedAtMs, String sessionId) {

        /** Opaque to clients: base64url of {@code <updatedAtMs>:<sessionId>}. */
        public String encode() {
            return Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString((updatedAtMs + ":" + sessionId).getBytes(StandardCharsets.UTF_8));
        }

        static Cursor of(SessionMeta meta) {
            return new Cursor(meta.getUpdatedAtMs(), meta.getSessionId());
        }

        /** @throws IllegalArgumentException when {@code text} is not a cursor this API gave out */
        public static Cursor decode(String text) {
            try {
                String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
                int colon = decoded.indexOf(':');
                return new Cursor(Long.parseLong(decoded.substring(0, colon)), decoded.substring(colon + 1));
            } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
                throw new IllegalArgumentException("cursor " + ClientText.quote(text)
                        + " is not one this API gave out; use the" + " 'next' of the previous page");
            }
        }

        boolean isBefore(SessionMeta meta) {
            return meta.getUpdatedAtMs() < updatedAtMs
                    || (meta.getUpdatedAtMs() == updatedAtMs
                            && meta.getSessionId().compareTo(sessionId) > 0);
        }
    }

    /** The query of a request's parameters; each may be absent (null). */
    public static SessionQuery parse(String status, String activeSince, String cursor, String limit, long nowMs) {
        Set<SessionStatus> statuses = EnumSet.noneOf(SessionStatus.class);
        if (status != null && !status.isBlank()) {
            for (String name : status.split(",")) {
                try {
                    statuses.add(SessionStatus.valueOf(name.trim().toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("status " + ClientText.quote(name.trim()) + " is not one of "
                            + List.of(SessionStatus.values()) + " (comma-separated, any case)");
                }
            }
        }
        return new SessionQuery(
                statuses,
                activeSince == null ? 0 : since(activeSince, nowMs),
                cursor == null || cursor.isEmpty() ? null : Cursor.decode(cursor),
                limit == null ? DEFAULT_LIMIT : limit(limit));
    }

    /** The sessions of {@code sessions} this query selects, in {@link #ORDER}, at most {@link #limit}. */
    public List<SessionMeta> select(Stream<SessionMeta> sessions) {
        return sessions.filter(this::selects).sorted(ORDER).limit(limit).toList();
    }

    public boolean selects(SessionMeta meta) {
        return statuses.contains(meta.getStatus())
                && meta.getUpdatedAtMs() >= activeSinceMs
                && (after == null || after.isBefore(meta));
    }

    /** The query's parameters, to ask another instance the same. */
    String toQueryString() {
        StringBuilder out = new StringBuilder("limit=").append(limit);
        if (statuses.size() < SessionStatus.values().length) {
            out.append("&status=")
                    .append(String.join(",", statuses.stream().map(Enum::name).toList()));
        }
        if (activeSinceMs > 0) {
            out.append("&active-since=").append(Instant.ofEpochMilli(activeSinceMs));
        }
        if (after != null) {
            out.append("&cursor=").append(after.encode());
        }
        return out.toString();
    }

    private static long since(String text, long nowMs) {
        try {
            return Instant.parse(text).toEpochMilli();
        } catch (DateTimeParseException notAnInstant) {
            try {
                Duration ago = DurationText.parse(text);
                return nowMs - ago.toMillis();
            } catch (IllegalArgumentException | ArithmeticException notADuration) {
                throw new IllegalArgumentException("active-since " + ClientText.quote(text) + " is neither an instant"
                        + " (2026-12-01T10:00:00Z) nor a duration before now (90s, 15m, 48h)");
            }
        }
    }

    private static int limit(String text) {
        try {
            int limit = Integer.parseInt(text);
            if (limit >= 1 && limit <= MAX_LIMIT) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // the message below says what is wanted
        }
        throw new IllegalArgumentException(
                "limit " + ClientText.quote(text) + " must be a whole number from 1 to " + MAX_LIMIT);
    }
}
