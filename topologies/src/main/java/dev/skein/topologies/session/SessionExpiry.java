package dev.skein.topologies.session;

import dev.skein.events.SessionMeta;
import dev.skein.schemas.SessionAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Erases the sessions that have been idle for their tenant's time to live ({@link SessionRetention}).
 * Run by a wall-clock punctuator, in the task's transaction, so every delete is a tombstone in its
 * store's changelog.
 *
 * <p>Cost: it does not scan every session. The {@link SessionStores#ACTIVITY} index holds each
 * session under its tenant and the time it was last touched; a check seeks once per tenant and reads
 * only the entries older than that tenant's time to live. It then checks each against the session's
 * meta, which is the truth: an entry left behind by a changed check interval is moved, one whose
 * session has a turn in flight (active or queued, and so any pending tool call or held approval) is
 * left for a later check.
 */
final class SessionExpiry {

    // The state machine's parts share the processor's log category, as before they were split.
    private static final Logger log = LoggerFactory.getLogger(SessionProcessor.class);

    private static final long ERASED = -1;
    private static final long GONE = -2;

    private final Sessions sessions;
    private final SessionRetention retention;
    private final Duration extractionTimeout;
    private final ExpiredSessions counter;
    private final Consumer<SessionAddress> erased;
    private final KeyValueStore<Bytes, String> activity;
    private boolean indexed;
    /**
     * By tenant, the lowest bucket that may hold a live entry: a check reads from there, not from the
     * start, so the tombstones that moved sessions leave below it (until RocksDB compacts them away)
     * are skipped over once, not at every check. In memory: a task's first check reads from the start.
     */
    private final Map<String, Long> floors = new HashMap<>();

    /**
     * @param extractionTimeout how long a memory extraction may run ({@code skein.memory.extractor}):
     *     until then it keeps its session, whose memories it is still writing
     * @param erased told of each erased session (the trace recorder deletes its traces)
     */
    SessionExpiry(
            Sessions sessions,
            SessionRetention retention,
            Duration extractionTimeout,
            ExpiredSessions counter,
            Consumer<SessionAddress> erased) {
        this.sessions = sessions;
        this.retention = retention;
        this.extractionTimeout = extractionTimeout;
        this.counter = counter;
        this.erased = erased;
        this.activity = sessions.activity();
    }

    /**
     * Erases up to {@code maxPerCheck} sessions idle for longer than their time to live.
     *
     * @return how many it erased
     */
    int expire(long nowMs) {
        if (!indexed) {
            indexOlderSessions(nowMs);
        }
        int count = 0;
        Bytes cursor = null;
        String tenant;
        while (count < retention.maxPerCheck() && (tenant = tenantAtOrAfter(cursor)) != null) {
            cursor = SessionStores.activityAfter(tenant);
            Duration ttl = retention.ttlOf(tenant);
            if (tenant.isEmpty() || ttl.isZero()) {
                continue;
            }
            long cutoff = nowMs - ttl.toMillis();
            List<KeyValue<Bytes, String>> entries = olderThan(tenant, floors.getOrDefault(tenant, 0L), cutoff);
            // The lowest bucket that may still hold a live entry of the tenant: where its next check starts.
            long floor = entries.size() == retention.maxPerCheck()
                    ? SessionStores.bucketOfActivity(entries.getLast().key, tenant)
                    : Math.max(cutoff, 0);
            for (KeyValue<Bytes, String> entry : entries) {
                long kept;
                if (count >= retention.maxPerCheck()) {
                    kept = SessionStores.bucketOfActivity(entry.key, tenant);
                } else {
                    kept = expireIfIdle(entry, tenant, ttl, nowMs);
                }
                if (kept == ERASED) {
                    count++;
                } else if (kept != GONE) {
                    floor = Math.min(floor, kept);
                }
            }
            floors.put(tenant, floor);
        }
        if (count > 0) {
            log.info("{} idle sessions expired and erased", count);
        }
        return count;
    }

    /** @return {@link #ERASED}, {@link #GONE} (a stale entry, deleted), or the bucket the session stays indexed in */
    private long expireIfIdle(KeyValue<Bytes, String> entry, String tenant, Duration ttl, long nowMs) {
        // Written from an address the processor had parsed, so it parses again.
        SessionAddress address = SessionAddress.parse(entry.value);
        Session session = sessions.find(address).orElse(null);
        if (session == null) {
            activity.delete(entry.key);
            return GONE;
        }
        SessionMeta meta = session.meta();
        long bucket = retention.bucketOf(meta.getUpdatedAtMs());
        if (bucket != SessionStores.bucketOfActivity(entry.key, tenant)) {
            activity.delete(entry.key);
            activity.put(SessionStores.activityKey(address, bucket), address.toString());
            return bucket;
        }
        long idleMs = nowMs - meta.getUpdatedAtMs();
        if (idleMs < ttl.toMillis() || inFlight(meta, nowMs)) {
            return bucket;
        }
        int messages = sessions.erase(session);
        erased.accept(address);
        counter.expired(tenant);
        log.debug("session {}: expired after {} ms idle (ttl {}); {} messages erased", address, idleMs, ttl, messages);
        return ERASED;
    }

    /**
     * A turn active or queued (so any pending tool call or held approval), or a memory extraction
     * within its timeout: its answer must find the session. One past its timeout does not keep it.
     */
    private boolean inFlight(SessionMeta meta, long nowMs) {
        return meta.getActiveTurn() != null
                || !meta.getQueuedTurns().isEmpty()
                || meta.getPendingExtractions().stream()
                        .anyMatch(e -> nowMs - e.getRequestedAtMs() < extractionTimeout.toMillis());
    }

    /** The entries of {@code tenant} in buckets from {@code floor} to before {@code cutoffMs}, read before any is changed. */
    private List<KeyValue<Bytes, String>> olderThan(String tenant, long floor, long cutoffMs) {
        List<KeyValue<Bytes, String>> entries = new ArrayList<>();
        if (cutoffMs <= floor) {
            return entries;
        }
        try (KeyValueIterator<Bytes, String> it = activity.range(
                SessionStores.activityBound(tenant, floor), SessionStores.activityBound(tenant, cutoffMs))) {
            while (it.hasNext() && entries.size() < retention.maxPerCheck()) {
                entries.add(it.next());
            }
        }
        return entries;
    }

    /** The tenant of the first index entry at or after {@code cursor} (the first of all when null). */
    private String tenantAtOrAfter(Bytes cursor) {
        try (KeyValueIterator<Bytes, String> it = cursor == null ? activity.all() : activity.range(cursor, null)) {
            return it.hasNext() ? SessionStores.tenantOfActivity(it.peekNextKey()) : null;
        }
    }

    /**
     * Sessions stored before the index existed, and never touched since, are not in it: the first
     * check of a task adds every session once, and marks the index so no later one does it again.
     */
    private void indexOlderSessions(long nowMs) {
        indexed = true;
        if (activity.get(SessionStores.ACTIVITY_INDEXED) != null) {
            return;
        }
        int added = 0;
        try (KeyValueIterator<String, SessionMeta> it = sessions.metas().all()) {
            while (it.hasNext()) {
                KeyValue<String, SessionMeta> next = it.next();
                SessionAddress address = SessionAddress.parse(next.key);
                long bucket = retention.bucketOf(next.value.getUpdatedAtMs());
                activity.put(SessionStores.activityKey(address, bucket), next.key);
                added++;
            }
        }
        activity.put(SessionStores.ACTIVITY_INDEXED, "every session indexed at " + nowMs);
        log.info("session activity index: {} stored sessions added", added);
    }
}
