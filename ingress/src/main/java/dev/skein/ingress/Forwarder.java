package dev.skein.ingress;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.ext.web.RoutingContext;
import java.net.URI;
import java.time.Duration;

/**
 * Sends a read to the instance that holds the session (or a page of the sessions listing to
 * every instance) and brings its answer back unchanged. The request carries the caller's
 * credentials and tenant as they came, and {@link ForwardSigner}'s mark, so that the receiver
 * checks the caller itself and answers from its own stores.
 */
final class Forwarder {

    /** Asks the receiver to answer from a standby copy when it holds no active one. */
    static final String READ = "Skein-Read";

    static final String STANDBY = "standby";

    /** On an answer read from a standby copy, which may lag the active one. */
    static final String STALE = "Skein-Stale";

    /** On a session's history: the instance that read it, from its own stores. */
    static final String SERVED_BY = "Skein-Served-By";

    /** The answer of another instance. */
    record Relayed(int status, String contentType, String stale, String servedBy, Buffer body) {

        void sendTo(RoutingContext ctx) {
            var response = ctx.response().setStatusCode(status);
            if (contentType != null) {
                response.putHeader(HttpHeaders.CONTENT_TYPE, contentType);
            }
            if (stale != null) {
                response.putHeader(STALE, stale);
            }
            if (servedBy != null) {
                response.putHeader(SERVED_BY, servedBy);
            }
            response.end(body);
        }
    }

    private final HttpClient client;
    private final ForwardSigner signer;
    private final URI self;
    private final String tenantHeader;
    private final Duration timeout;

    Forwarder(Vertx vertx, ForwardSigner signer, URI self, String tenantHeader, Duration timeout) {
        this.client = vertx.createHttpClient(
                new HttpClientOptions()
                        .setConnectTimeout((int) Math.min(timeout.toMillis(), 2_000))
                        .setKeepAlive(true),
                new PoolOptions().setHttp1MaxSize(16));
        this.signer = signer;
        this.self = self;
        this.tenantHeader = tenantHeader;
        this.timeout = timeout;
    }

    /**
     * GETs {@code pathAndQuery} from the instance at {@code target}, as the caller of {@code ctx}.
     * Fails when the instance cannot be reached or does not answer in time.
     */
    Future<Relayed> get(RoutingContext ctx, URI target, String pathAndQuery, boolean standby) {
        MultiMap headers = MultiMap.caseInsensitiveMultiMap();
        for (CharSequence name : new CharSequence[] {HttpHeaders.AUTHORIZATION, tenantHeader, HttpHeaders.ACCEPT}) {
            String value = ctx.request().getHeader(name);
            if (value != null) {
                headers.add(name, value);
            }
        }
        String by = self.toString();
        headers.add(ForwardSigner.FORWARDED_BY, by);
        headers.add(ForwardSigner.SIGNATURE, signer.sign("GET", pathAndQuery, by, System.currentTimeMillis()));
        if (standby) {
            headers.add(READ, STANDBY);
        }
        RequestOptions options = new RequestOptions()
                .setMethod(HttpMethod.GET)
                .setAbsoluteURI(target.resolve(pathAndQuery).toString())
                .setHeaders(headers)
                .setIdleTimeout(timeout.toMillis());
        return client.request(options)
                .compose(request -> request.send())
                .compose(response -> response.body()
                        .map(body -> new Relayed(
                                response.statusCode(),
                                response.getHeader(HttpHeaders.CONTENT_TYPE),
                                response.getHeader(STALE),
                                response.getHeader(SERVED_BY),
                                body)));
    }

    Future<Void> close() {
        return client.close();
    }
}
