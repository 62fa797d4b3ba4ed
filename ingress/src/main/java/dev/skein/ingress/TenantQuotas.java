package dev.skein.ingress;

import java.util.Map;
import java.util.Objects;

/**
 * What each tenant may use at once ({@code skein.quotas}): the limits of a tenant named in
 * {@code byTenant}, else the defaults. 0 means no limit.
 */
public record TenantQuotas(Limits defaults, Map<String, Limits> byTenant) {

    /**
     * @param turnsPerMinute turns accepted in the last 60 s, across every instance
     * @param activeTurns sessions with a running turn, across every instance
     * @param queuedTurns turns waiting behind a running one, across every instance
     * @param streams live WebSocket streams, on this instance
     */
    public record Limits(int turnsPerMinute, int activeTurns, int queuedTurns, int streams) {
        public static final Limits NONE = new Limits(0, 0, 0, 0);

        public Limits {
            if (turnsPerMinute < 0 || activeTurns < 0 || queuedTurns < 0 || streams < 0) {
                throw new IllegalArgumentException("a quota is 0 (no limit) or positive");
            }
        }
    }

    public static final TenantQuotas NONE = new TenantQuotas(Limits.NONE, Map.of());

    public TenantQuotas {
        Objects.requireNonNull(defaults, "defaults");
        byTenant = Map.copyOf(byTenant);
    }

    public Limits of(String tenant) {
        return byTenant.getOrDefault(tenant, defaults);
    }
}
