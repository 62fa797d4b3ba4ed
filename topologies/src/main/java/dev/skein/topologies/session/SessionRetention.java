package dev.skein.topologies.session;

import java.time.Duration;
import java.util.Map;

/**
 * How long an idle session is kept ({@code skein.session.retention}, docs/retention.md). A session
 * is idle when nothing touched it for its tenant's time to live and it has no turn in flight; the
 * wall-clock punctuator then erases every store entry of it.
 *
 * @param idleTtl the time to live of an idle session; {@link Duration#ZERO} keeps sessions forever
 * @param byTenant a time to live for one tenant instead of {@code idleTtl} ({@code ZERO}: keep forever)
 * @param checkInterval how often the punctuator looks for idle sessions; also the granularity of the
 *     activity index ({@link SessionStores#ACTIVITY}), so a busy session moves in it at most once per interval
 * @param maxPerCheck at most this many sessions are erased by one check (one transaction); the rest
 *     wait for the next
 */
public record SessionRetention(
        Duration idleTtl, Map<String, Duration> byTenant, Duration checkInterval, int maxPerCheck) {

    /** Sessions are kept forever (the default). */
    public static final SessionRetention OFF =
            new SessionRetention(Duration.ZERO, Map.of(), Duration.ofMinutes(1), 1000);

    public SessionRetention {
        require(idleTtl != null && !idleTtl.isNegative(), "idle-ttl must be 0 (off) or positive");
        require(checkInterval != null && checkInterval.toMillis() > 0, "check-interval must be positive");
        require(maxPerCheck >= 1, "max-per-check must be >= 1");
        byTenant = Map.copyOf(byTenant);
        byTenant.forEach((tenant, ttl) -> require(!ttl.isNegative(), "by-tenant." + tenant + " must not be negative"));
    }

    /** The time to live of {@code tenant}'s idle sessions; zero when they are kept forever. */
    public Duration ttlOf(String tenant) {
        return byTenant.getOrDefault(tenant, idleTtl);
    }

    /** True when some tenant's sessions expire: only then does the punctuator run. */
    public boolean enabled() {
        return !idleTtl.isZero() || byTenant.values().stream().anyMatch(ttl -> !ttl.isZero());
    }

    /** The activity index's bucket of a session last touched at {@code touchedAtMs}. */
    long bucketOf(long touchedAtMs) {
        long width = checkInterval.toMillis();
        return touchedAtMs - Math.floorMod(touchedAtMs, width);
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException("skein.session.retention: " + message);
        }
    }
}
