package dev.skein.ingress;

import dev.skein.ingress.auth.Caller;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Context;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/sessions/:id/stream}: upgrades to a WebSocket and hands it to a {@link SessionStream};
 * {@code ?after=<position>} resumes after that position, as the SSE routes do. A malformed position
 * is a 400 before the upgrade; one the session's stream cannot serve is an error frame and a 1008
 * close once upgraded.
 */
final class StreamEndpoint {

    private static final Logger log = LoggerFactory.getLogger(StreamEndpoint.class);

    private final IngressConfig config;
    private final TurnGateway gateway;
    private final SessionEvents events;
    private final Context context;
    private final AuthGuard auth;
    private final QuotaGateway quotas;

    /**
     * @param context the verticle's: every frame of the stream is written on its event loop
     * @param auth    tells the stream when its caller's credential stops being valid
     * @param quotas  counts the live streams of each tenant
     */
    StreamEndpoint(
            IngressConfig config,
            TurnGateway gateway,
            SessionEvents events,
            Context context,
            AuthGuard auth,
            QuotaGateway quotas) {
        this.config = config;
        this.quotas = quotas;
        this.gateway = gateway;
        this.events = events;
        this.context = context;
        this.auth = auth;
    }

    void upgrade(RoutingContext ctx) {
        SessionAddress address = SessionGuard.address(ctx);
        Caller caller = Caller.of(ctx);
        if (!ctx.request().canUpgradeToWebSocket()) {
            JsonReply.error(
                    ctx,
                    400,
                    ctx.request().path() + " is a WebSocket: connect with a WebSocket client (Upgrade: websocket)");
            return;
        }
        // Checked here, because the handshake's own refusals are plain-text 400s.
        if (ctx.request().getHeader("Sec-WebSocket-Key") == null) {
            JsonReply.error(ctx, 400, "a WebSocket upgrade needs a Sec-WebSocket-Key header (RFC 6455 4.1)");
            return;
        }
        if (!"13".equals(ctx.request().getHeader("Sec-WebSocket-Version"))) {
            ctx.response().putHeader("Sec-WebSocket-Version", "13");
            JsonReply.error(
                    ctx,
                    426,
                    "WebSocket version " + ClientText.quote(ctx.request().getHeader("Sec-WebSocket-Version"))
                            + " is not supported: send Sec-WebSocket-Version: 13");
            return;
        }
        StreamPosition after;
        try {
            List<String> afters = ctx.queryParam("after");
            if (afters.size() > 1) {
                throw HttpFailure.badRequest("give ?after= at most once");
            }
            after = afters.isEmpty() ? null : StreamPosition.parse(afters.getFirst(), "after");
        } catch (HttpFailure refused) {
            JsonReply.error(ctx, refused.status(), refused.getMessage());
            return;
        }
        try {
            quotas.openStream(address.tenant());
        } catch (QuotaExceededException refused) {
            ctx.response().putHeader("Retry-After", String.valueOf(refused.retryAfterSeconds()));
            JsonReply.error(ctx, 429, refused.getMessage());
            return;
        }
        ctx.request()
                .toWebSocket()
                .onSuccess(socket -> new SessionStream(
                                address,
                                socket,
                                context,
                                config,
                                gateway,
                                caller,
                                auth.stillValid(caller),
                                events.streamSettings().maxPendingEvents())
                        .open(events, after, () -> quotas.streamClosed(address.tenant())))
                .onFailure(e -> {
                    quotas.streamClosed(address.tenant());
                    log.warn("session {}: WebSocket upgrade failed", address, e);
                });
    }
}
