package dev.skein.ingress;

import dev.skein.events.DoubleTexting;

/**
 * What each tenant is using across every instance, as far as the topics show (a few milliseconds
 * behind): turns accepted in the last minute, and turns not yet completed.
 */
public interface TenantLoad {

    /** Nothing known: every quota but the streams is as if unused. */
    TenantLoad NONE = new TenantLoad() {
        @Override
        public int turnsInLastMinute(String tenant) {
            return 0;
        }

        @Override
        public long oldestTurnInLastMinuteMs(String tenant) {
            return 0;
        }

        @Override
        public int activeTurns(String tenant) {
            return 0;
        }

        @Override
        public int queuedTurns(String tenant) {
            return 0;
        }

        @Override
        public int inFlight(String tenant, String sessionId) {
            return 0;
        }

        @Override
        public void admitted(String tenant, String sessionId, String turnId, long atMs) {}

        @Override
        public void withdrawn(String turnId) {}
    };

    int turnsInLastMinute(String tenant);

    /** When the oldest turn counted by {@link #turnsInLastMinute} was accepted; 0 when none. */
    long oldestTurnInLastMinuteMs(String tenant);

    /** Sessions of the tenant with a turn not yet completed. */
    int activeTurns(String tenant);

    /** The tenant's turns not yet completed, beyond one per session. */
    int queuedTurns(String tenant);

    /** The session's turns not yet completed. */
    int inFlight(String tenant, String sessionId);

    /** The session's oldest turn not yet completed (its active turn, as far as the topics show); null when none. */
    default String oldestInFlight(String tenant, String sessionId) {
        return null;
    }

    /** The session's double-texting policy, set by a turn with {@code stickyDoubleTexting}; null when none is known. */
    default DoubleTexting policy(String tenant, String sessionId) {
        return null;
    }

    /** A turn this instance is accepting: counted at once, before the topic shows it. */
    void admitted(String tenant, String sessionId, String turnId, long atMs);

    /** A turn {@link #admitted} that could not be written after all. */
    void withdrawn(String turnId);
}
