package dev.skein.ingress;

import dev.skein.ingress.auth.Caller;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import io.vertx.core.Context;
import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /v1/sessions/:id/events} (the session's stream) and
 * {@code GET /v1/sessions/:id/turns/:turnId/events} (one turn, from its start to its completion),
 * as Server-Sent Events. A position ({@code Last-Event-ID}, or {@code ?after=}) resumes after it;
 * a bad one is a 400 JSON answer before the stream starts. One timer per instance sends the
 * heartbeats of every open stream, another ends each stream whose credential has expired or been
 * revoked (within a second), as the WebSocket stream does.
 */
final class SseEndpoint {

    private static final Logger log = LoggerFactory.getLogger(SseEndpoint.class);
    /** How often open streams' credentials are checked again (revocation takes effect within this). */
    private static final long REVALIDATE_MS = 1_000;

    private final Context context;
    private final SessionEvents events;
    private final QuotaGateway quotas;
    private final AuthGuard auth;
    private final StreamSettings settings;
    /** Open streams, for the heartbeat; touched on the event loop only. */
    private final Set<SseStream> open = new LinkedHashSet<>();

    /**
     * @param auth   tells a stream when its caller's credential stops being valid
     * @param quotas counts the live streams of each tenant
     */
    SseEndpoint(Context context, SessionEvents events, AuthGuard auth, QuotaGateway quotas) {
        this.context = context;
        this.events = events;
        this.auth = auth;
        this.quotas = quotas;
        this.settings = events.streamSettings();
        context.owner().setPeriodic(settings.heartbeat().toMillis(), id -> heartbeats());
        context.owner().setPeriodic(REVALIDATE_MS, id -> revalidate());
    }

    void session(RoutingContext ctx) {
        open(ctx, null);
    }

    void turn(RoutingContext ctx) {
        String turnId = ctx.pathParam("turnId");
        if (!SessionAddress.isValidPart(turnId)) {
            JsonReply.error(
                    ctx,
                    400,
                    "turnId " + ClientText.quote(turnId)
                            + " is invalid: use 1 to 128 of the characters A-Z a-z 0-9 . _ -");
            return;
        }
        open(ctx, turnId);
    }

    private void open(RoutingContext ctx, String turnId) {
        SessionAddress address = SessionGuard.address(ctx);
        StreamPosition after;
        try {
            after = position(ctx);
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
        StreamStart start = after != null || turnId == null
                ? StreamStart.after(after)
                : StreamStart.since(Instant.now().minus(settings.turnLookback()));
        Caller caller = Caller.of(ctx);
        SseStream stream = new SseStream(
                address,
                turnId,
                ctx.response(),
                context,
                settings.maxPendingEvents(),
                caller.credential() == Caller.Credential.NONE ? null : auth.stillValid(caller));
        SessionEvents.Subscription subscription;
        try {
            subscription = events.subscribe(address, start, stream);
        } catch (RuntimeException e) {
            streamClosed(address);
            log.error("session {}: cannot subscribe an SSE stream to its events", address, e);
            JsonReply.error(ctx, 503, "cannot stream this session right now; retry later");
            return;
        }
        open.add(stream);
        stream.attach(subscription, () -> {
            open.remove(stream);
            streamClosed(address);
        });
        subscription
                .started()
                .whenComplete((ok, failure) -> context.runOnContext(v -> {
                    if (failure == null) {
                        stream.begin();
                        return;
                    }
                    subscription.close();
                    if (failure instanceof HttpFailure refused) {
                        JsonReply.error(ctx, refused.status(), refused.getMessage());
                    } else {
                        log.warn("session {}: the stream could not start", address, failure);
                        JsonReply.error(ctx, 503, "cannot stream this session right now: " + failure.getMessage());
                    }
                }));
    }

    /**
     * The position to resume after: {@code ?after=} (once) or {@code Last-Event-ID}, which a
     * browser's EventSource sends by itself when it reconnects. When both come, the header wins: an
     * EventSource opened with {@code ?after=} keeps that URL and sends the newer position in the header.
     */
    private static StreamPosition position(RoutingContext ctx) {
        List<String> afters = ctx.queryParam("after");
        List<String> headers = ctx.request().headers().getAll("Last-Event-ID");
        if (afters.size() > 1) {
            throw HttpFailure.badRequest("give ?after= at most once");
        }
        if (headers.size() > 1) {
            throw HttpFailure.badRequest("give the Last-Event-ID header at most once");
        }
        StreamPosition fromQuery = afters.isEmpty() ? null : StreamPosition.parse(afters.getFirst(), "after");
        // An empty Last-Event-ID is what EventSource sends after an event without an id: no position.
        String header = headers.isEmpty() ? "" : headers.getFirst().trim();
        StreamPosition fromHeader = header.isEmpty() ? null : StreamPosition.parse(header, "Last-Event-ID");
        return fromHeader != null ? fromHeader : fromQuery;
    }

    private void streamClosed(SessionAddress address) {
        quotas.streamClosed(address.tenant());
    }

    private void revalidate() {
        for (SseStream stream : new ArrayList<>(open)) {
            stream.revalidate();
        }
    }

    private void heartbeats() {
        for (SseStream stream : new ArrayList<>(open)) {
            stream.heartbeat();
        }
    }

    /** Streams open on this endpoint; on the event loop. */
    int openStreams() {
        return open.size();
    }
}
