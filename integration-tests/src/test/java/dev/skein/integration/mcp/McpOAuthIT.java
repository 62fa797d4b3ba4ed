package dev.skein.integration.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.Tool;
import dev.skein.workers.mcp.McpServerSpec;
import dev.skein.workers.mcp.McpToolSource;
import dev.skein.workers.mcp.OAuthClientCredentials;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A worker's MCP connection to a Streamable HTTP server behind OAuth 2.0 client credentials: a
 * real token endpoint (RFC 6749, {@link OAuthMcpServers}) in front of an MCP SDK server that
 * checks the bearer token. The connection gets a token with the configured client authentication,
 * scopes and audience, sends it, fetches a new one before the old expires and once when the server
 * refuses it; a token endpoint that refuses the client leaves the server disconnected, with calls
 * answered by an error that says why and never shows the secret.
 */
@Tag("mcp")
class McpOAuthIT {

    private OAuthMcpServers servers;
    private McpToolSource source;
    private final OfferedTools offers = new OfferedTools();
    private final Map<String, Tool> offered = offers.byName;

    @BeforeEach
    void start() throws Exception {
        servers = new OAuthMcpServers();
    }

    @AfterEach
    void stop() throws Exception {
        if (source != null) {
            source.close();
        }
        servers.close();
    }

    private void connect(String secret, boolean basicAuth) {
        OAuthClientCredentials oauth = new OAuthClientCredentials(
                URI.create(servers.tokenUrl()),
                OAuthMcpServers.CLIENT_ID,
                secret,
                List.of("mcp.read", "mcp.call"),
                "https://mcp.test",
                basicAuth);
        McpServerSpec spec = new McpServerSpec(
                "guarded",
                List.of(),
                URI.create(servers.mcpUrl()),
                Map.of(),
                "small",
                Resources.NONE,
                Duration.ofSeconds(10),
                0,
                List.of(),
                Map.of(),
                List.of(),
                List.of(),
                List.of(),
                oauth);
        source = new McpToolSource(spec, offers);
        source.start();
    }

    private String echo(String text) throws Exception {
        return offered.get("echo").run(new ObjectMapper().createObjectNode().put("text", text));
    }

    @Test
    void aTokenIsFetchedSentRefreshedBeforeExpiryAndAfterA401() throws Exception {
        servers.lifetimeSeconds.set(4);
        connect(OAuthMcpServers.SECRET, true);
        assertThat(source.isConnected()).isTrue();
        assertThat(echo("one")).isEqualTo("echo: one");
        OAuthMcpServers.TokenRequest first = servers.tokenRequests.getFirst();
        assertThat(first.clientAuth()).isEqualTo("basic");
        assertThat(first.form())
                .containsEntry("grant_type", "client_credentials")
                .containsEntry("scope", "mcp.read mcp.call")
                .containsEntry("audience", "https://mcp.test")
                .doesNotContainKey("client_secret");
        assertThat(servers.rejected.get()).isZero();

        // Past three quarters of the 4 s lifetime a new token is fetched before the server sees the old expire.
        int before = servers.tokenRequests.size();
        await().pollDelay(Duration.ofMillis(3500))
                .atMost(Duration.ofSeconds(10))
                .until(() -> true);
        assertThat(echo("two")).isEqualTo("echo: two");
        assertThat(servers.tokenRequests.size()).isGreaterThan(before);
        assertThat(servers.rejected.get()).isZero();

        // The server stops accepting the token: one 401, a fresh token, and the same call goes through.
        servers.lifetimeSeconds.set(3600);
        servers.revokeAll();
        int beforeRevocation = servers.tokenRequests.size();
        assertThat(echo("three")).isEqualTo("echo: three");
        assertThat(servers.rejected.get()).isEqualTo(1);
        assertThat(servers.tokenRequests.size()).isEqualTo(beforeRevocation + 1);
        assertThat(source.isConnected()).isTrue();
    }

    @Test
    void clientCredentialsInTheBodyWorkToo() throws Exception {
        connect(OAuthMcpServers.SECRET, false);
        assertThat(echo("body")).isEqualTo("echo: body");
        OAuthMcpServers.TokenRequest first = servers.tokenRequests.getFirst();
        assertThat(first.clientAuth()).isEqualTo("body");
        assertThat(first.form())
                .containsEntry("client_id", OAuthMcpServers.CLIENT_ID)
                .containsEntry("client_secret", OAuthMcpServers.SECRET);
    }

    @Test
    void aTokenEndpointThatRefusesTheClientLeavesTheServerDisconnectedWithAClearError() {
        String wrong = "not-the-secret-" + System.nanoTime();
        connect(wrong, true);
        assertThat(source.isConnected()).isFalse();
        assertThat(offered).isEmpty();
        assertThat(servers.tokenRequests).isNotEmpty();
        // The MCP server never saw a request without a token it issued.
        assertThat(servers.rejected.get()).isZero();
        assertThat(source.disconnectedBecause())
                .hasValueSatisfying(why -> assertThat(why)
                        .contains("token endpoint " + servers.tokenUrl())
                        .contains("401 invalid_client")
                        .contains("the client id or secret is wrong")
                        .doesNotContain(wrong));
    }

    @Test
    void aTokenEndpointThatStopsIssuingTurnsCallsIntoErrorsThatSayWhy() throws Exception {
        servers.lifetimeSeconds.set(2);
        connect(OAuthMcpServers.SECRET, true);
        Tool echo = offered.get("echo");
        assertThat(echo.run(new ObjectMapper().createObjectNode().put("text", "a")))
                .isEqualTo("echo: a");
        servers.refuseAll.set(true);
        await().pollDelay(Duration.ofMillis(2500))
                .atMost(Duration.ofSeconds(10))
                .until(() -> true);
        // Whether the ping noticed first (disconnected) or the call did (no token): the reason is the endpoint's.
        assertThatThrownBy(() -> echo.run(new ObjectMapper().createObjectNode().put("text", "b")))
                .hasMessageContaining("MCP server guarded")
                .hasMessageContaining("token endpoint " + servers.tokenUrl())
                .hasMessageContaining("invalid_client")
                .hasMessageNotContaining(OAuthMcpServers.SECRET);
    }
}
