package dev.skein.ingress;

import java.util.Objects;

/**
 * What the ingress admits: per tenant, the quotas and the load they are checked against; per
 * session, what the session would refuse at once ({@link SessionAdmission}).
 */
public record Admission(TenantQuotas quotas, TenantLoad load, SessionAdmission sessions) {

    /** No quotas, and every turn goes to its session. */
    public static final Admission OPEN = new Admission(TenantQuotas.NONE, TenantLoad.NONE);

    public Admission {
        Objects.requireNonNull(quotas, "quotas");
        Objects.requireNonNull(load, "load");
        Objects.requireNonNull(sessions, "sessions");
    }

    /** Quotas only: every turn within them goes to its session, which decides. */
    public Admission(TenantQuotas quotas, TenantLoad load) {
        this(quotas, load, SessionAdmission.OPEN);
    }
}
