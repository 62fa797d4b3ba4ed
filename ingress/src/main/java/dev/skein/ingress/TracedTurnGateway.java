package dev.skein.ingress;

import dev.skein.events.SessionCommand;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.SessionAddress;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Gives every turn a span, whichever path created it (HTTP, WebSocket, MCP, A2A): a turn submitted
 * in a context that has its span ({@link TurnSpans#TURN}, from the HTTP endpoint) keeps it; any
 * other gets one, a child of the current context. The turn is submitted in that context, so its
 * record carries it, and the span ends when the turn's completion arrives on the responses topic,
 * or, when it never comes, after {@code longest} (the turn timeout and some), marked as not seen.
 * With tracing off the spans are not recording and nothing is awaited.
 */
public final class TracedTurnGateway implements TurnGateway {

    private final TurnGateway delegate;
    private final SessionEvents events;
    private final Duration longest;

    /** @param longest how long a turn's span waits for its completion before it ends as not seen */
    public TracedTurnGateway(TurnGateway delegate, SessionEvents events, Duration longest) {
        this.delegate = delegate;
        this.events = events;
        this.longest = longest;
    }

    @Override
    public CompletableFuture<Void> submit(TurnRequested turn) {
        Context current = Context.current();
        Context traced = current.get(TurnSpans.TURN) != null || !TurnSpans.enabled()
                ? current
                : TurnSpans.start(current, turn, SpanKind.INTERNAL);
        Span span = traced.get(TurnSpans.TURN);
        if (span == null || !span.isRecording()) {
            try (Scope ignored = traced.makeCurrent()) {
                return delegate.submit(turn);
            }
        }
        SessionAddress address = new SessionAddress(turn.getTenant(), turn.getSessionId());
        // Before the submit, so that a fast completion is not missed. A copy: the waiter's future may be
        // the one a waiting client holds, and this timeout must not end that client's wait.
        CompletableFuture<TurnCompleted> completion =
                events.expect(address, turn.getTurnId()).copy().orTimeout(longest.toMillis(), TimeUnit.MILLISECONDS);
        completion.whenComplete((completed, error) -> {
            if (completed != null) {
                TurnSpans.completed(span, completed);
            } else {
                events.forget(address, turn.getTurnId());
                TurnSpans.failed(
                        span,
                        error instanceof TimeoutException
                                ? "the completion was not seen by this ingress within " + longest
                                : String.valueOf(error.getMessage()));
            }
        });
        CompletableFuture<Void> accepted;
        try (Scope ignored = traced.makeCurrent()) {
            accepted = delegate.submit(turn);
        } catch (RuntimeException e) {
            completion.completeExceptionally(e);
            throw e;
        }
        return accepted.whenComplete((ok, error) -> {
            if (error != null) {
                completion.completeExceptionally(new IllegalStateException("the turn was not accepted: " + error));
            }
        });
    }

    @Override
    public CompletableFuture<Void> submit(SessionCommand command) {
        return delegate.submit(command);
    }
}
