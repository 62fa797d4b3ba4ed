package dev.skein.ingress;

import dev.skein.schemas.ClientText;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpVersion;
import java.util.List;

/**
 * Checks of the HTTP request itself, before the router sees it: what the HTTP decoder could not
 * parse at all, a missing, repeated or unreadable {@code Host}, and paths whose percent-encoding
 * is broken. Each refusal is a 4xx with a JSON error, like every other error of the API.
 */
final class ProtocolGuard {

    /** Longest request line (method, URI, version) the decoder accepts. */
    static final int MAX_REQUEST_LINE_BYTES = 4096;
    /** Largest total of the header lines the decoder accepts. */
    static final int MAX_HEADER_BYTES = 8192;

    private ProtocolGuard() {}

    /**
     * The server's invalid-request handler: the decoder failed on the request line or the headers
     * (too long, malformed, a bad {@code Content-Length}). The connection is closed after the
     * answer, because where the next request starts is unknown.
     */
    static void refuseUndecodable(HttpServerRequest request) {
        Throwable cause = request.decoderResult().cause();
        int status;
        String message;
        if (cause instanceof TooLongHttpLineException) {
            status = 414;
            message = "the request line is too long: the URI with method and version is limited to "
                    + MAX_REQUEST_LINE_BYTES + " bytes";
        } else if (cause instanceof TooLongHttpHeaderException) {
            status = 431;
            message = "the request headers are too large: they are limited to " + MAX_HEADER_BYTES + " bytes in all";
        } else {
            status = 400;
            message = "malformed HTTP request: " + (cause == null ? "unreadable request" : cause.getMessage());
        }
        JsonReply.error(request.response(), status, message);
        request.connection().close();
    }

    /** True when the request may go to the router; otherwise it has been answered 400. */
    static boolean admits(HttpServerRequest request) {
        String refusal = hostProblem(request);
        if (refusal == null) {
            refusal = pathProblem(request.path());
        }
        if (refusal == null && request.query() != null) {
            refusal = percentProblem("query", request.query());
        }
        if (refusal == null) {
            return true;
        }
        JsonReply.error(request.response(), 400, refusal);
        return false;
    }

    private static String hostProblem(HttpServerRequest request) {
        List<String> hosts = request.headers().getAll(HttpHeaders.HOST);
        if (hosts.size() > 1) {
            return "the request has " + hosts.size() + " Host headers; send exactly one";
        }
        if (request.version() != HttpVersion.HTTP_1_1) {
            return null; // HTTP/1.0 needs none
        }
        if (hosts.isEmpty()) {
            return "the Host header is missing: HTTP/1.1 requests need exactly one";
        }
        if (request.authority() == null) {
            return "the Host header '" + printable(hosts.get(0))
                    + "' is not a valid host[:port]; a folded header line (one that starts with a space) continues"
                    + " the header before it";
        }
        return null;
    }

    private static String pathProblem(String path) {
        if (path == null || !path.startsWith("/")) {
            return "the request path must start with '/'";
        }
        return percentProblem("path", path);
    }

    /** The router decodes {@code %XX} in the path and the query; a {@code %} without two hex digits makes it fail. */
    private static String percentProblem(String part, String text) {
        for (int i = text.indexOf('%'); i >= 0; i = text.indexOf('%', i + 1)) {
            if (i + 2 >= text.length() || !isHex(text.charAt(i + 1)) || !isHex(text.charAt(i + 2))) {
                String bad = text.substring(i, Math.min(text.length(), i + 3));
                return "the " + part + " has an invalid percent-encoding '" + printable(bad)
                        + "': write % followed by two hex digits (a space is %20)";
            }
        }
        return null;
    }

    private static boolean isHex(char c) {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }

    // It is echoed in the error.
    private static String printable(String text) {
        return ClientText.shown(text);
    }
}
