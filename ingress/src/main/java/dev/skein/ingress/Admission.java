package dev.skein.ingress;

import java.util.Objects;

/** What the ingress admits per tenant: the quotas, and the load they are checked against. */
public record Admission(TenantQuotas quotas, TenantLoad load) {

    /** No quotas. */
    public static final Admission OPEN = new Admission(TenantQuotas.NONE, TenantLoad.NONE);

    public Admission {
        Objects.requireNonNull(quotas, "quotas");
        Objects.requireNonNull(load, "load");
    }
}
