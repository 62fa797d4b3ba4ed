package dev.skein.ingress;

import dev.skein.events.SessionCommand;
import dev.skein.events.TurnRequested;
import dev.skein.ingress.TenantQuotas.Limits;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The turn gateway behind the tenant quotas: a turn over its tenant's turn rate, active turns or
 * queued turns is refused with a {@link QuotaExceededException} before anything is written, and
 * one accepted is counted at once, so that a burst at one instance cannot outrun the topics. The
 * check and the count are one step (this class's lock), so two requests cannot both take the last
 * place. Before the quotas, a turn its session would refuse at once is refused here
 * ({@link SessionAdmission}: 409 or 400), in the same step. Commands (cancel, approve, deny, clear)
 * are never refused: they end work, not start it.
 */
final class QuotaGateway implements TurnGateway {

    private final TurnGateway delegate;
    private final TenantQuotas quotas;
    private final TenantLoad load;
    private final SessionAdmission sessions;
    private final MeterRegistry metrics;
    /** Live WebSocket streams on this instance, by tenant. */
    private final Map<String, Integer> open = new HashMap<>();

    /** @param metrics counts refusals by tenant and quota ({@code skein_tenant_quota_refusals_total}); may be null */
    QuotaGateway(
            TurnGateway delegate,
            TenantQuotas quotas,
            TenantLoad load,
            SessionAdmission sessions,
            MeterRegistry metrics) {
        this.delegate = delegate;
        this.quotas = quotas;
        this.load = load;
        this.sessions = sessions;
        this.metrics = metrics;
    }

    @Override
    public CompletableFuture<Void> submit(TurnRequested turn) {
        String tenant = turn.getTenant();
        String turnId = turn.getTurnId();
        synchronized (this) {
            sessions.check(turn, load);
            check(tenant, turn.getSessionId(), System.currentTimeMillis());
            load.admitted(tenant, turn.getSessionId(), turnId, System.currentTimeMillis());
        }
        CompletableFuture<Void> written;
        try {
            written = delegate.submit(turn);
        } catch (RuntimeException e) {
            load.withdrawn(turnId);
            throw e;
        }
        return written.whenComplete((ok, failed) -> {
            if (failed != null) {
                load.withdrawn(turnId);
            }
        });
    }

    @Override
    public CompletableFuture<Void> submit(SessionCommand command) {
        return delegate.submit(command);
    }

    private void check(String tenant, String sessionId, long nowMs) {
        Limits limits = quotas.of(tenant);
        if (limits.turnsPerMinute() > 0 && load.turnsInLastMinute(tenant) >= limits.turnsPerMinute()) {
            long oldest = load.oldestTurnInLastMinuteMs(tenant);
            refuse(
                    tenant,
                    "turns-per-minute",
                    "tenant " + tenant + " is at its quota of " + limits.turnsPerMinute()
                            + " turns per minute (skein.quotas turns-per-minute)",
                    oldest == 0 ? 1 : (oldest + 60_000 - nowMs + 999) / 1000);
        }
        boolean busy = load.inFlight(tenant, sessionId) > 0;
        if (!busy && limits.activeTurns() > 0 && load.activeTurns(tenant) >= limits.activeTurns()) {
            refuse(
                    tenant,
                    "active-turns",
                    "tenant " + tenant + " is at its quota of " + limits.activeTurns()
                            + " sessions with a running turn (skein.quotas active-turns)",
                    2);
        }
        if (busy && limits.queuedTurns() > 0 && load.queuedTurns(tenant) >= limits.queuedTurns()) {
            refuse(
                    tenant,
                    "queued-turns",
                    "tenant " + tenant + " is at its quota of " + limits.queuedTurns()
                            + " queued turns (skein.quotas queued-turns)",
                    2);
        }
    }

    private void refuse(String tenant, String quota, String message, long retryAfterSeconds) {
        if (metrics != null) {
            Counter.builder("skein.tenant.quota.refusals")
                    .description("Turns and streams refused because their tenant was at a quota")
                    .tag("tenant", tenant)
                    .tag("quota", quota)
                    .register(metrics)
                    .increment();
        }
        throw new QuotaExceededException(quota, message + "; retry in " + retryAfterSeconds + " s", retryAfterSeconds);
    }

    /**
     * Takes one of the tenant's live-stream places on this instance, or refuses (as a turn
     * over quota is refused). Give it back with {@link #streamClosed}.
     */
    synchronized void openStream(String tenant) {
        int limit = quotas.of(tenant).streams();
        int now = open.getOrDefault(tenant, 0);
        if (limit > 0 && now >= limit) {
            refuse(
                    tenant,
                    "streams",
                    "tenant " + tenant + " is at its quota of " + limit
                            + " live WebSocket streams on this instance (skein.quotas streams)",
                    5);
        }
        open.merge(tenant, 1, Integer::sum);
    }

    synchronized void streamClosed(String tenant) {
        open.computeIfPresent(tenant, (t, n) -> n <= 1 ? null : n - 1);
    }
}
