package dev.skein.workers.mcp;

import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.client.transport.McpHttpClientTransportAuthorizationException;
import io.modelcontextprotocol.client.transport.customizer.McpHttpClientTransportAuthorizationErrorHandler;

/**
 * A Streamable HTTP transport that sends an OAuth access token: every request carries
 * {@code Authorization: Bearer <token>} (refreshed before it expires), and a 401 drops that token
 * and sends the request once more with a fresh one (the SDK's authorization error handler, which
 * retries once). A second 401 fails the request with
 * {@link McpHttpClientTransportAuthorizationException}.
 */
final class McpBearer {

    private static final String BEARER = "Bearer ";

    private McpBearer() {}

    static void apply(HttpClientStreamableHttpTransport.Builder transport, AccessTokens tokens) {
        transport.httpRequestCustomizer(
                (request, method, uri, body, context) -> request.setHeader("Authorization", BEARER + tokens.current()));
        transport.authorizationErrorHandler(McpHttpClientTransportAuthorizationErrorHandler.fromSync(
                (request, response, context) -> {
                    if (response.statusCode() != 401) {
                        return false;
                    }
                    tokens.invalidate(request.headers()
                            .firstValue("Authorization")
                            .filter(h -> h.startsWith(BEARER))
                            .map(h -> h.substring(BEARER.length()))
                            .orElse(null));
                    return true;
                }));
    }

    /** True when {@code failure} (or a cause of it) is the server's 401 to a fresh token. */
    static boolean refused(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof McpHttpClientTransportAuthorizationException) {
                return true;
            }
        }
        return false;
    }
}
