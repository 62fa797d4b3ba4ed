package dev.skein.ingress;

import dev.skein.events.DoubleTexting;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;

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

    /** Sessions whose sticky policy is remembered: the most recently set ones (an entry is a few dozen bytes). */
    static final int REMEMBERED_POLICIES = 100_000;

    private final long lookbackMs;
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

    /** @param lookback longer than a turn may take */
    TenantCounts(Duration lookback) {
        this.lookbackMs = lookback.toMillis();
    }

    @Override
    public synchronized void admitted(String tenant, String sessionId, String turnId, long atMs) {
        // Counted once: the instance that accepted it counts at once, then reads its record back.
        if (seenTurnIds.putIfAbsent(turnId, atMs) != null) {
            return;
        }
        inFlight.put(turnId, new InFlight(tenant, sessionId, atMs));
        bySession
                .computeIfAbsent(tenant, t -> new HashMap<>())
                .computeIfAbsent(sessionId, id -> new LinkedHashSet<>())
                .add(turnId);
        lastMinute.computeIfAbsent(tenant, t -> new ArrayDeque<>()).addLast(atMs);
        expire(System.currentTimeMillis());
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
            seenTurnIds.putIfAbsent(turnId, System.currentTimeMillis());
        }
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
        inFlight.entrySet().removeIf(e -> {
            boolean stale = e.getValue().sinceMs() < nowMs - lookbackMs;
            if (stale) {
                release(e.getKey(), e.getValue());
            }
            return stale;
        });
        seenTurnIds.values().removeIf(at -> at < nowMs - lookbackMs);
        lastMinute.values().forEach(times -> {
            while (!times.isEmpty() && times.peekFirst() < nowMs - MINUTE_MS) {
                times.removeFirst();
            }
        });
        lastMinute.values().removeIf(Deque::isEmpty);
    }

    @Override
    public synchronized int turnsInLastMinute(String tenant) {
        expire(System.currentTimeMillis());
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
