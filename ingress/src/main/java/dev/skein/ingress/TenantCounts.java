package dev.skein.ingress;

import dev.skein.events.DoubleTexting;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.function.LongSupplier;

/**
 * The counts behind {@link TenantLoad}: each tenant's turns of the last minute, and its turns not
 * yet completed by session. A turn is counted once, whoever reports it first (the instance that
 * accepts it, or the topic), and a completion seen before its turn keeps the turn from being
 * counted later. A turn whose completion has not come within the lookback is forgotten, so that
 * a completion lost to a bug cannot hold a tenant's quota for ever. Each session's turns in flight
 * are kept in the order they were counted, so the oldest is its active turn; and the last sticky
 * double-texting policy of the most recent sessions is kept (see {@link SessionAdmission}). Thread-safe.
 */
final class TenantCounts implements TenantLoad {

    private static final long MINUTE_MS = 60_000;

    private record InFlight(String tenant, String sessionId, long sinceMs) {}

    /** A turn id and the time its lookback runs from, in a queue that puts the oldest first. */
    private record Stamp(long atMs, String turnId) {}

    /** Sessions whose sticky policy is remembered: the most recently set ones (an entry is a few dozen bytes). */
    static final int REMEMBERED_POLICIES = 100_000;

    private final long lookbackMs;
    private final LongSupplier clock;
    private final Map<String, InFlight> inFlight = new HashMap<>();
    /** By tenant, by session: the turn ids in flight, oldest first. */
    private final Map<String, Map<String, LinkedHashSet<String>>> bySession = new HashMap<>();

    private final Map<String, DoubleTexting> policies = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, DoubleTexting> eldest) {
            return size() > REMEMBERED_POLICIES;
        }
    };
    private final Map<String, Deque<Long>> lastMinute = new HashMap<>();
    /** Turn ids counted or completed within the lookback, and when. */
    private final Map<String, Long> seenTurnIds = new HashMap<>();
    /*
     * The entries of inFlight and seenTurnIds, oldest first, so that expiry looks only at what has
     * expired: scanning both maps on every admission cost the ingress's event loop most of its time
     * at a few hundred turns a second (every turn of the lookback is in seenTurnIds). An entry
     * removed or replaced meanwhile leaves its stamp behind; a stamp removes only the entry it was
     * made for.
     */
    private final PriorityQueue<Stamp> inFlightByAge = new PriorityQueue<>(Comparator.comparingLong(Stamp::atMs));
    private final PriorityQueue<Stamp> seenByAge = new PriorityQueue<>(Comparator.comparingLong(Stamp::atMs));

    /** @param lookback longer than a turn may take */
    TenantCounts(Duration lookback) {
        this(lookback, System::currentTimeMillis);
    }

    /** For tests: {@code clock} is the wall clock in milliseconds. */
    TenantCounts(Duration lookback, LongSupplier clock) {
        this.lookbackMs = lookback.toMillis();
        this.clock = clock;
    }

    @Override
    public synchronized void admitted(String tenant, String sessionId, String turnId, long atMs) {
        // Counted once: the instance that accepted it counts at once, then reads its record back.
        if (seen(turnId, atMs) != null) {
            return;
        }
        inFlight.put(turnId, new InFlight(tenant, sessionId, atMs));
        inFlightByAge.add(new Stamp(atMs, turnId));
        bySession
                .computeIfAbsent(tenant, t -> new HashMap<>())
                .computeIfAbsent(sessionId, id -> new LinkedHashSet<>())
                .add(turnId);
        lastMinute.computeIfAbsent(tenant, t -> new ArrayDeque<>()).addLast(atMs);
        expire(clock.getAsLong());
    }

    @Override
    public synchronized void withdrawn(String turnId) {
        seenTurnIds.remove(turnId);
        InFlight turn = inFlight.remove(turnId);
        if (turn != null) {
            release(turnId, turn);
            Deque<Long> times = lastMinute.get(turn.tenant());
            if (times != null) {
                times.removeLastOccurrence(turn.sinceMs());
            }
        }
    }

    synchronized void completed(String turnId) {
        InFlight turn = inFlight.remove(turnId);
        if (turn != null) {
            release(turnId, turn);
        } else {
            // Read before its turn's record (another topic, another partition): the record must not count.
            seen(turnId, clock.getAsLong());
        }
    }

    /** Remembers a turn id from {@code atMs} unless it is known already; returns the time it was known from, or null. */
    private Long seen(String turnId, long atMs) {
        Long known = seenTurnIds.putIfAbsent(turnId, atMs);
        if (known == null) {
            seenByAge.add(new Stamp(atMs, turnId));
        }
        return known;
    }

    /** A turn the session accepted with {@code stickyDoubleTexting}: its policy is the session's from now on. */
    synchronized void adopted(String tenant, String sessionId, DoubleTexting policy) {
        String key = tenant + "/" + sessionId;
        // Removed first, so that the session counts as recently set again.
        policies.remove(key);
        policies.put(key, policy);
    }

    private void release(String turnId, InFlight turn) {
        Map<String, LinkedHashSet<String>> sessions = bySession.get(turn.tenant());
        if (sessions != null) {
            sessions.computeIfPresent(turn.sessionId(), (s, ids) -> {
                ids.remove(turnId);
                return ids.isEmpty() ? null : ids;
            });
            if (sessions.isEmpty()) {
                bySession.remove(turn.tenant());
            }
        }
    }

    /** Forgets turns whose completion cannot still come, and the rate window's old entries. */
    private void expire(long nowMs) {
        long cutoff = nowMs - lookbackMs;
        while (!inFlightByAge.isEmpty() && inFlightByAge.peek().atMs() < cutoff) {
            Stamp stamp = inFlightByAge.poll();
            InFlight turn = inFlight.get(stamp.turnId());
            if (turn != null && turn.sinceMs() == stamp.atMs()) {
                inFlight.remove(stamp.turnId());
                release(stamp.turnId(), turn);
            }
        }
        while (!seenByAge.isEmpty() && seenByAge.peek().atMs() < cutoff) {
            Stamp stamp = seenByAge.poll();
            seenTurnIds.remove(stamp.turnId(), stamp.atMs());
        }
        lastMinute.values().forEach(times -> {
            while (!times.isEmpty() && times.peekFirst() < nowMs - MINUTE_MS) {
                times.removeFirst();
            }
        });
        lastMinute.values().removeIf(Deque::isEmpty);
    }

    @Override
    public synchronized int turnsInLastMinute(String tenant) {
        expire(clock.getAsLong());
        Deque<Long> times = lastMinute.get(tenant);
        return times == null ? 0 : times.size();
    }

    @Override
    public synchronized long oldestTurnInLastMinuteMs(String tenant) {
        Deque<Long> times = lastMinute.get(tenant);
        return times == null || times.isEmpty() ? 0 : times.peekFirst();
    }

    @Override
    public synchronized int activeTurns(String tenant) {
        Map<String, LinkedHashSet<String>> sessions = bySession.get(tenant);
        return sessions == null ? 0 : sessions.size();
    }

    @Override
    public synchronized int queuedTurns(String tenant) {
        Map<String, LinkedHashSet<String>> sessions = bySession.get(tenant);
        if (sessions == null) {
            return 0;
        }
        return sessions.values().stream().mapToInt(ids -> ids.size() - 1).sum();
    }

    @Override
    public synchronized int inFlight(String tenant, String sessionId) {
        LinkedHashSet<String> ids = turnsOf(tenant, sessionId);
        return ids == null ? 0 : ids.size();
    }

    @Override
    public synchronized String oldestInFlight(String tenant, String sessionId) {
        LinkedHashSet<String> ids = turnsOf(tenant, sessionId);
        return ids == null ? null : ids.getFirst();
    }

    @Override
    public synchronized DoubleTexting policy(String tenant, String sessionId) {
        return policies.get(tenant + "/" + sessionId);
    }

    private LinkedHashSet<String> turnsOf(String tenant, String sessionId) {
        Map<String, LinkedHashSet<String>> sessions = bySession.get(tenant);
        return sessions == null ? null : sessions.get(sessionId);
    }
}
