package dev.skein.app.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.workers.mcp.McpServerSpec;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class McpConfigTest {

    private static SkeinConfig load(String servers) {
        return SkeinConfig.load(Optional.empty(), Map.of(), Map.of("SKEIN_MCP_SERVERS", servers));
    }

    @Test
    void anEntryTakesWhatItLeavesOutFromTheDefaults() {
        List<McpServerSpec> servers = load("[{name = files, command = [mcp-files, /srv], tier = small},"
                        + " {name = search, url = \"https://mcp.example.com/mcp\", headers { X-Key = k }, tier = large,"
                        + " tools = [web_search], rename { web_search = search_web }, approval = true,"
                        + " cacheable = [web_search], trust-read-only-hint = [web_search], timeout = 5s, retries = 0, resources { cpus = 2, license = 1 }}]")
                .mcpServers();

        McpServerSpec files = servers.get(0);
        assertThat(files.command()).containsExactly("mcp-files", "/srv");
        assertThat(files.url()).isNull();
        assertThat(files.timeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(files.retries()).isEqualTo(2);
        assertThat(files.imports("anything")).isTrue();
        assertThat(files.requiresApproval("read")).isFalse();
        assertThat(files.resources().cpus()).isEqualTo(0.1);
        assertThat(files.skeinName("Read-File")).contains("read_file");
        // A server's readOnlyHint is not believed unless the entry says so.
        assertThat(files.trustsReadOnlyHint("read")).isFalse();

        McpServerSpec search = servers.get(1);
        assertThat(search.headers()).containsEntry("X-Key", "k");
        assertThat(search.imports("web_search")).isTrue();
        assertThat(search.imports("delete_all")).isFalse();
        assertThat(search.skeinName("web_search")).contains("search_web");
        assertThat(search.requiresApproval("web_search")).isTrue();
        assertThat(search.isCacheable("web_search")).isTrue();
        assertThat(search.trustsReadOnlyHint("web_search")).isTrue();
        assertThat(search.trustsReadOnlyHint("delete_all")).isFalse();
        assertThat(search.resources().amount("license")).isEqualTo(1.0);
        assertThat(search.timeout()).isEqualTo(Duration.ofSeconds(5));
    }

    @Test
    void oauthClientCredentialsAreReadWithTheirDefaultsAndTheSecretStaysOutOfMessages() {
        McpServerSpec search = load("[{name = search, url = \"https://mcp.example.com/mcp\", tier = small,"
                        + " oauth { token-url = \"https://idp.example.com/token\", client-id = w1,"
                        + " client-secret = hunter2, scopes = [a, b], audience = \"https://mcp.example.com\" }}]")
                .mcpServers()
                .getFirst();
        assertThat(search.oauth().tokenUrl()).hasToString("https://idp.example.com/token");
        assertThat(search.oauth().clientId()).isEqualTo("w1");
        assertThat(search.oauth().scopes()).containsExactly("a", "b");
        assertThat(search.oauth().audience()).isEqualTo("https://mcp.example.com");
        assertThat(search.oauth().basicAuth()).isTrue();
        assertThat(search.toString()).doesNotContain("hunter2");

        McpServerSpec body = load("[{name = s, url = \"https://h/mcp\", tier = small, oauth {"
                        + " token-url = \"https://h/token\", client-id = w, client-secret = x, client-auth = body }}]")
                .mcpServers()
                .getFirst();
        assertThat(body.oauth().basicAuth()).isFalse();
        assertThat(body.oauth().scopes()).isEmpty();
        assertThat(body.oauth().audience()).isNull();

        assertThatThrownBy(() -> load("[{name = s, url = \"https://h/mcp\", tier = small, oauth {"
                        + " token-url = \"https://h/token\", client-id = w }}]"))
                .hasMessageContaining("skein.mcp.servers[0].oauth.client-secret");
        assertThatThrownBy(
                        () -> load(
                                "[{name = s, url = \"https://h/mcp\", tier = small, oauth {"
                                        + " token-url = \"https://h/token\", client-id = w, client-secret = x, client-auth = digest }}]"))
                .hasMessageContaining("oauth.client-auth")
                .hasMessageContaining("basic or body");
        assertThatThrownBy(() -> load("[{name = s, command = [x], tier = small, oauth {"
                        + " token-url = \"https://h/token\", client-id = w, client-secret = x }}]"))
                .hasMessageContaining("not a stdio one");
    }

    @Test
    void aBadEntryNamesItsKey() {
        assertThatThrownBy(() -> load("[{name = a, tier = small}]"))
                .hasMessageContaining("skein.mcp.servers[0]")
                .hasMessageContaining("exactly one of command");
        assertThatThrownBy(() -> load("[{name = a, command = [x], url = \"http://h/mcp\", tier = small}]"))
                .hasMessageContaining("exactly one of command");
        assertThatThrownBy(() -> load("[{name = a, command = [x], tier = tiny}]"))
                .hasMessageContaining("skein.mcp.servers[0].tier")
                .hasMessageContaining("'tiny' is not a configured tier");
        assertThatThrownBy(() -> load("[{name = a, command = [x]}]")).hasMessageContaining("needs the tier");
        assertThatThrownBy(() -> load("[{name = a, url = \"ftp://h\", tier = small}]"))
                .hasMessageContaining("http or https");
        assertThatThrownBy(() -> load("[{name = a, command = [x], tier = small, tools = some}]"))
                .hasMessageContaining("skein.mcp.servers[0].tools");
        assertThatThrownBy(() ->
                        load("[{name = a, command = [x], tier = small}, {name = a, command = [y], tier = small}]"))
                .hasMessageContaining("two MCP servers are named 'a'");
    }
}
