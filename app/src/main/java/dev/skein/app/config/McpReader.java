package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigValueType;
import dev.skein.schemas.resources.ByteSize;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.mcp.McpServerSpec;
import dev.skein.workers.mcp.OAuthClientCredentials;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads {@code skein.mcp.servers}: each entry takes what it leaves out from
 * {@code skein.mcp.server-defaults}, and is checked here so that a bad one stops the node at start
 * with the key that is wrong.
 */
final class McpReader {

    private static final String PATH = "skein.mcp.servers";
    private static final Set<String> RESOURCE_KEYS = Set.of("cpus", "gpus", "memory");

    private McpReader() {}

    static List<McpServerSpec> read(Config config, List<String> tierNames) {
        Config defaults = config.getConfig("skein.mcp.server-defaults");
        Config oauthDefaults = config.getConfig("skein.mcp.oauth-defaults");
        List<McpServerSpec> servers = new ArrayList<>();
        Set<String> names = new HashSet<>();
        List<? extends Config> entries = config.getConfigList(PATH);
        for (int i = 0; i < entries.size(); i++) {
            Config entry = entries.get(i).withFallback(defaults);
            String at = PATH + "[" + i + "]";
            if (!entry.hasPath("name") || entry.getString("name").isBlank()) {
                throw new ConfigException.BadValue(at + ".name", "every MCP server needs a name");
            }
            String name = entry.getString("name");
            if (!names.add(name)) {
                throw new ConfigException.BadValue(at + ".name", "two MCP servers are named '" + name + "'");
            }
            if (!entry.hasPath("tier")) {
                throw new ConfigException.BadValue(
                        at + ".tier",
                        "MCP server '" + name + "' needs the tier whose workers" + " run its tools, one of "
                                + tierNames);
            }
            String tier = entry.getString("tier");
            if (!tierNames.contains(tier)) {
                throw new ConfigException.BadValue(
                        at + ".tier", "'" + tier + "' is not a configured tier " + tierNames + " (skein.tiers)");
            }
            List<String> command = entry.hasPath("command") ? entry.getStringList("command") : List.of();
            URI url = entry.hasPath("url") ? uri(entry.getString("url"), at + ".url") : null;
            if (command.isEmpty() == (url == null)) {
                throw new ConfigException.BadValue(
                        at,
                        "MCP server '" + name + "' needs exactly one of command = [program, args...] (stdio)"
                                + " or url = \"https://...\" (Streamable HTTP)");
            }
            try {
                servers.add(new McpServerSpec(
                        name,
                        command,
                        url,
                        strings(entry.getConfig("headers")),
                        tier,
                        resources(entry.getConfig("resources"), at + ".resources"),
                        entry.getDuration("timeout"),
                        entry.getInt("retries"),
                        namesOrAll(entry, "tools", at, false),
                        strings(entry.getConfig("rename")),
                        namesOrAll(entry, "approval", at, true),
                        namesOrAll(entry, "cacheable", at, true),
                        namesOrAll(entry, "trust-read-only-hint", at, true),
                        entry.hasPath("oauth")
                                ? oauth(entry.getConfig("oauth").withFallback(oauthDefaults), at)
                                : null));
            } catch (IllegalArgumentException e) {
                throw new ConfigException.BadValue(at, e.getMessage());
            }
        }
        return servers;
    }

    // RFC 6749 client credentials; the secret is checked for presence only, never echoed.
    private static OAuthClientCredentials oauth(Config oauth, String at) {
        String path = at + ".oauth";
        for (String key : List.of("token-url", "client-id", "client-secret")) {
            if (!oauth.hasPath(key) || oauth.getString(key).isBlank()) {
                throw new ConfigException.BadValue(
                        path + "." + key,
                        "OAuth client credentials need " + key
                                + (key.equals("client-secret")
                                        ? " (from the environment: ${?MCP_CLIENT_SECRET})"
                                        : ""));
            }
        }
        String clientAuth = oauth.getString("client-auth");
        if (!clientAuth.equals("basic") && !clientAuth.equals("body")) {
            throw new ConfigException.BadValue(
                    path + ".client-auth", "must be basic or body, was '" + clientAuth + "'");
        }
        return new OAuthClientCredentials(
                uri(oauth.getString("token-url"), path + ".token-url"),
                oauth.getString("client-id"),
                oauth.getString("client-secret"),
                oauth.getStringList("scopes"),
                oauth.hasPath("audience") ? oauth.getString("audience") : null,
                clientAuth.equals("basic"));
    }

    private static URI uri(String text, String path) {
        try {
            URI uri = new URI(text);
            if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
                throw new ConfigException.BadValue(path, "must be an http or https URL, was '" + text + "'");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ConfigException.BadValue(path, "is not a URL: " + e.getMessage());
        }
    }

    private static Map<String, String> strings(Config c) {
        Map<String, String> out = new LinkedHashMap<>();
        c.root().forEach((k, v) -> out.put(k, String.valueOf(v.unwrapped())));
        return out;
    }

    // `tools = all` (or []) imports every tool; approval, cacheable and trust-read-only-hint also take true / false.
    private static List<String> namesOrAll(Config entry, String key, String at, boolean flag) {
        ConfigValueType type = entry.getValue(key).valueType();
        if (type == ConfigValueType.LIST) {
            return entry.getStringList(key);
        }
        if (flag && type == ConfigValueType.BOOLEAN) {
            return entry.getBoolean(key) ? List.of("*") : List.of();
        }
        String text = entry.getString(key);
        if (text.equals("all")) {
            return flag ? List.of("*") : List.of();
        }
        throw new ConfigException.BadValue(
                at + "." + key,
                "must be all, a list of the server's tool names" + (flag ? ", true or false" : "") + "; was '" + text
                        + "'");
    }

    private static Resources resources(Config c, String path) {
        Resources needs = Resources.NONE;
        if (c.hasPath("cpus")) {
            needs = needs.withCpus(c.getDouble("cpus"));
        }
        if (c.hasPath("gpus")) {
            needs = needs.withGpus(c.getInt("gpus"));
        }
        if (c.hasPath("memory")) {
            needs = needs.withMemoryBytes(ByteSize.parse(c.getString("memory")));
        }
        for (String key : c.root().keySet()) {
            if (!RESOURCE_KEYS.contains(key)) {
                try {
                    needs = needs.with(key, c.getDouble(key));
                } catch (ConfigException.WrongType e) {
                    throw new ConfigException.BadValue(path + "." + key, "a custom resource's amount must be a number");
                }
            }
        }
        return needs;
    }
}
