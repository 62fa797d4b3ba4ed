package dev.skein.ingress;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServerRequest;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a connection that does not send a complete request head in time: from when it opens,
 * and again from the end of each response while no other request is in flight. The idle timeout
 * alone would not do: a client that sends one header byte now and then (slowloris) is never idle.
 * A connection upgraded to a WebSocket is left to the idle timeout and the stream's pings.
 */
final class RequestHeaderDeadlines {

    private static final Logger log = LoggerFactory.getLogger(RequestHeaderDeadlines.class);

    private final Vertx vertx;
    private final long timeoutMillis;
    private final Map<HttpConnection, State> connections = new ConcurrentHashMap<>();

    private static final class State {
        long timer = -1;
        int inFlight;
        boolean upgraded;
    }

    RequestHeaderDeadlines(Vertx vertx, Duration timeout) {
        this.vertx = vertx;
        this.timeoutMillis = Math.max(1, timeout.toMillis());
    }

    /** The server's connection handler. */
    void opened(HttpConnection connection) {
        State state = new State();
        connections.put(connection, state);
        connection.closeHandler(v -> {
            State closed = connections.remove(connection);
            if (closed != null && closed.timer >= 0) {
                vertx.cancelTimer(closed.timer);
            }
        });
        arm(connection, state);
    }

    /** Called with every request whose head has arrived, before it is routed. */
    void started(HttpServerRequest request) {
        State state = connections.get(request.connection());
        if (state == null) {
            return;
        }
        state.inFlight++;
        disarm(state);
        if (request.canUpgradeToWebSocket()) {
            state.upgraded = true;
        }
    }

    /**
     * Called once the response to a {@link #started} request has ended (the router's end
     * handlers: the response's own end handler is the router's to set).
     */
    void finished(HttpConnection connection) {
        State state = connections.get(connection);
        if (state == null) {
            return;
        }
        state.inFlight = Math.max(0, state.inFlight - 1);
        if (state.inFlight == 0 && !state.upgraded) {
            arm(connection, state);
        }
    }

    private void arm(HttpConnection connection, State state) {
        disarm(state);
        state.timer = vertx.setTimer(timeoutMillis, id -> {
            state.timer = -1;
            if (state.inFlight == 0 && !state.upgraded) {
                log.debug(
                        "closing {}: no complete request head within {} ms", connection.remoteAddress(), timeoutMillis);
                connection.close();
            }
        });
    }

    private void disarm(State state) {
        if (state.timer >= 0) {
            vertx.cancelTimer(state.timer);
            state.timer = -1;
        }
    }
}
