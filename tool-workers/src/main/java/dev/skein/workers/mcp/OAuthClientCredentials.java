package dev.skein.workers.mcp;

import java.net.URI;
import java.util.List;
import java.util.Objects;

/**
 * How a worker gets an access token for a Streamable HTTP MCP server: the OAuth 2.0 client
 * credentials grant (RFC 6749 section 4.4) at {@code tokenUrl}. The secret is never logged nor put in
 * an error; {@link #toString} leaves it out.
 *
 * @param tokenUrl the authorization server's token endpoint
 * @param clientId the client's id
 * @param clientSecret the client's secret (in configuration, usually {@code ${?SOME_ENV}})
 * @param scopes sent as {@code scope}, space-separated; empty: none sent
 * @param audience sent as {@code audience} (Auth0, Okta and others want one); null: none sent
 * @param basicAuth true: the client authenticates with HTTP Basic (RFC 6749 section 2.3.1, the
 *     default every server must accept); false: {@code client_id} and {@code client_secret} in the body
 */
public record OAuthClientCredentials(
        URI tokenUrl, String clientId, String clientSecret, List<String> scopes, String audience, boolean basicAuth) {

    public OAuthClientCredentials {
        Objects.requireNonNull(tokenUrl, "tokenUrl");
        if (clientId == null || clientId.isBlank()) {
            throw new IllegalArgumentException("oauth.client-id must not be empty");
        }
        if (clientSecret == null || clientSecret.isEmpty()) {
            throw new IllegalArgumentException(
                    "oauth.client-secret must not be empty (set it from the environment, e.g. ${?MCP_CLIENT_SECRET})");
        }
        scopes = List.copyOf(scopes);
        if (audience != null && audience.isBlank()) {
            audience = null;
        }
    }

    @Override
    public String toString() {
        return "OAuthClientCredentials[tokenUrl=" + tokenUrl + ", clientId=" + clientId + ", scopes=" + scopes
                + ", audience=" + audience + ", basicAuth=" + basicAuth + "]";
    }
}
