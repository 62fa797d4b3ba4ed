package dev.skein.ingress;

import java.time.Duration;
import java.util.Objects;

/**
 * How the ingress reads sessions that another instance holds.
 *
 * @param directory where sessions live, and this instance's stores
 * @param secret shared by every instance, signs forwarded requests ({@code skein.cluster.secret});
 *     empty: marked, not signed (one machine)
 * @param standbyReads whether a standby copy answers, marked stale, when the owner cannot
 *     ({@code skein.cluster.standby-reads})
 * @param forwardTimeout how long a forwarded request may take ({@code skein.cluster.forward-timeout})
 */
public record ClusterReads(SessionDirectory directory, String secret, boolean standbyReads, Duration forwardTimeout) {

    public ClusterReads {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(secret, "secret");
        if (forwardTimeout == null || forwardTimeout.isNegative() || forwardTimeout.isZero()) {
            throw new IllegalArgumentException("skein.cluster.forward-timeout must be positive, got " + forwardTimeout);
        }
    }

    /** One instance: every session is read here. */
    public static ClusterReads single(HistoryReader history) {
        return single(history, SessionDirectory.SessionLister.NONE);
    }

    public static ClusterReads single(HistoryReader history, SessionDirectory.SessionLister lister) {
        return new ClusterReads(SessionDirectory.single(history, lister), "", false, Duration.ofSeconds(5));
    }
}
