package dev.skein.ingress;

import io.vertx.ext.web.RoutingContext;

/**
 * The check in front of the routes that instances forward to each other: a request marked as
 * forwarded must carry a good {@link ForwardSigner} signature (else 401), and is then flagged so
 * that its handler answers from this instance's stores only.
 */
final class Forwarding {

    private static final String FORWARDED = "skein.forwarded";

    private final ForwardSigner signer;

    Forwarding(ForwardSigner signer) {
        this.signer = signer;
    }

    void check(RoutingContext ctx) {
        switch (signer.verify(ctx.request(), System.currentTimeMillis())) {
            case NOT_FORWARDED -> ctx.next();
            case FORWARDED -> {
                ctx.put(FORWARDED, Boolean.TRUE);
                ctx.next();
            }
            case FORGED ->
                JsonReply.error(
                        ctx,
                        401,
                        "request marked " + ForwardSigner.FORWARDED_BY + " without a valid " + ForwardSigner.SIGNATURE
                                + ": only Skein instances (sharing skein.cluster.secret) may forward requests");
        }
    }

    /** Whether {@link #check} found this request forwarded by another instance. */
    static boolean isForwarded(RoutingContext ctx) {
        return Boolean.TRUE.equals(ctx.get(FORWARDED));
    }
}
