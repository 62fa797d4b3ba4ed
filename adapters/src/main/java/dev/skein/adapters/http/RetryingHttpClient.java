package dev.skein.adapters.http;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP/1.1 client for agent servers that repeats a request, with exponential backoff, only
 * when the server cannot have acted on it: the connection was refused, or the answer was 429 or
 * 503 (honouring {@code Retry-After} in seconds, up to 5 s). Everything else, a 500 or a timeout
 * included, goes back to the caller, which knows whether its request may be sent again.
 *
 * <p>HTTP/1.1 because the agents' servers (uvicorn, Kestrel, Quarkus) speak it, and an h2c
 * upgrade on a POST with a body is one more thing a proxy in between can get wrong.
 */
public final class RetryingHttpClient {

    private static final Logger log = LoggerFactory.getLogger(RetryingHttpClient.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    private static final Duration MAX_CONNECT_TIMEOUT = Duration.ofSeconds(10);

    private final Duration timeout;
    private final int maxRetries;
    private final HttpClient http;

    /**
     * @param timeout    how long one request may take; also bounds connecting (at most 10 s)
     * @param maxRetries how many times a request the server did not act on is repeated
     * @param redirects  whether to follow redirects
     */
    public RetryingHttpClient(Duration timeout, int maxRetries, HttpClient.Redirect redirects) {
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        if (maxRetries < 0) {
            throw new IllegalArgumentException("maxRetries must not be negative, got " + maxRetries);
        }
        this.maxRetries = maxRetries;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout.compareTo(MAX_CONNECT_TIMEOUT) < 0 ? timeout : MAX_CONNECT_TIMEOUT)
                .followRedirects(redirects)
                .build();
    }

    /** How long one request may take; set it on each request with {@link HttpRequest.Builder#timeout}. */
    public Duration timeout() {
        return timeout;
    }

    /**
     * The last response to a request, and how many times the request was sent for it.
     *
     * @param requests 1, or more when the server refused it and it was repeated
     */
    public record Sent<T>(HttpResponse<T> response, int requests) {

        /**
         * True when the answer is one this client repeats (429, 503) and it gave up: the caller
         * reports it as final ({@link dev.skein.adapters.RetryBudget#spent}), not retryable.
         */
        public boolean refused() {
            int status = response.statusCode();
            return status == 429 || status == 503;
        }
    }

    /** The connection was still refused after the last retry. */
    public static final class RefusedException extends ConnectException {
        private final int requests;

        RefusedException(ConnectException cause, int requests) {
            super(describe(cause));
            initCause(cause);
            this.requests = requests;
        }

        /** How many times the request was tried. */
        public int requests() {
            return requests;
        }
    }

    /**
     * Sends {@code request}, repeating it while the server refuses it without acting on it and
     * retries are left; answers the last response, whatever its status, with the number of
     * requests made.
     *
     * @param what names the request in logs, e.g. {@code "POST /threads"}
     * @throws RefusedException     when the connection is still refused after the last retry
     * @throws HttpTimeoutException when connecting or answering took too long (never repeated)
     */
    public <T> Sent<T> send(HttpRequest request, HttpResponse.BodyHandler<T> body, String what)
            throws IOException, InterruptedException {
        Duration backoff = FIRST_BACKOFF;
        for (int attempt = 0; ; attempt++) {
            HttpResponse<T> response;
            try {
                response = http.send(request, body);
            } catch (ConnectException e) {
                if (attempt >= maxRetries) {
                    throw new RefusedException(e, attempt + 1);
                }
                log.debug(
                        "{}: cannot connect to {} ({}); retrying in {}", what, request.uri(), e.getMessage(), backoff);
                Thread.sleep(backoff);
                backoff = next(backoff);
                continue;
            }
            int status = response.statusCode();
            if ((status == 429 || status == 503) && attempt < maxRetries) {
                Duration wait = retryAfter(response).orElse(backoff);
                log.debug("{}: {} answered {}; retrying in {}", what, request.uri(), status, wait);
                if (response.body() instanceof Stream<?> lines) {
                    lines.close();
                }
                Thread.sleep(wait);
                backoff = next(backoff);
                continue;
            }
            return new Sent<>(response, attempt + 1);
        }
    }

    /** The exception's message, or its type when it has none. */
    public static String describe(IOException e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** {@code text} cut to 300 characters, for quoting a body or a JSON value in an error message. */
    public static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        return text.length() > 300 ? text.substring(0, 297) + "..." : text;
    }

    private static Optional<Duration> retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").flatMap(value -> {
            try {
                Duration wait = Duration.ofSeconds(Math.max(0, Long.parseLong(value.trim())));
                return Optional.of(wait.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait);
            } catch (NumberFormatException e) {
                // An HTTP date instead of seconds: fall back to our own backoff.
                return Optional.empty();
            }
        });
    }

    private static Duration next(Duration backoff) {
        Duration doubled = backoff.multipliedBy(2);
        return doubled.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : doubled;
    }
}
