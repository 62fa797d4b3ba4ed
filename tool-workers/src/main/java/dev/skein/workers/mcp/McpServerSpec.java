package dev.skein.workers.mcp;

import dev.skein.schemas.resources.Resources;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One MCP server whose tools Skein imports ({@code skein.mcp.servers} entry): how to reach it, which
 * workers connect to it, what each call needs, and which of its tools become Skein tools under
 * which names.
 *
 * @param name the server's name in logs and error results
 * @param command a stdio server: the program and its arguments; empty for an HTTP server
 * @param url a Streamable HTTP server's endpoint; null for a stdio server
 * @param headers sent with every HTTP request (an API key, a bearer token)
 * @param tier only workers serving this tier connect to the server and offer its tools
 * @param resources what one call needs on the worker (admission), like a built-in tool's
 * @param timeout how long one call may take, and how long connecting may take
 * @param retries how often a call that never reached the server is tried again (0: never); a call
 *     the server received is never repeated, because the server may have acted on it
 * @param tools the server's tools to import (their MCP names); empty: all of them
 * @param rename Skein names for some MCP names; the others are lower-cased, with any character
 *     outside a-z 0-9 _ replaced by _
 * @param approval MCP names whose calls a person must approve; {@code ["*"]}: all of them
 * @param cacheable MCP names whose results may be reused for the same arguments; {@code ["*"]}: all
 * @param trustReadOnlyHint MCP names whose {@code readOnlyHint: true} annotation is believed, making
 *     the tool free of side effects (speculative on a {@code by-tool} tier); {@code ["*"]}: all. A
 *     remote server is not trusted by default: a hint only counts where the operator names it
 * @param oauth a Streamable HTTP server's OAuth client credentials, sent as a bearer token; null: none
 */
public record McpServerSpec(
        String name,
        List<String> command,
        URI url,
        Map<String, String> headers,
        String tier,
        Resources resources,
        Duration timeout,
        int retries,
        List<String> tools,
        Map<String, String> rename,
        List<String> approval,
        List<String> cacheable,
        List<String> trustReadOnlyHint,
        OAuthClientCredentials oauth) {

    public McpServerSpec {
        Objects.requireNonNull(name, "name");
        command = List.copyOf(command);
        headers = Map.copyOf(headers);
        tools = List.copyOf(tools);
        rename = Map.copyOf(rename);
        approval = List.copyOf(approval);
        cacheable = List.copyOf(cacheable);
        trustReadOnlyHint = List.copyOf(trustReadOnlyHint);
        Objects.requireNonNull(tier, "tier");
        Objects.requireNonNull(resources, "resources");
        if (command.isEmpty() == (url == null)) {
            throw new IllegalArgumentException(
                    "MCP server " + name + " needs exactly one of command (a stdio server) or url (Streamable HTTP)");
        }
        if (oauth != null && url == null) {
            throw new IllegalArgumentException(
                    "MCP server " + name + ": oauth is for a Streamable HTTP server (url), not a stdio one");
        }
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("MCP server " + name + ": timeout must be positive, got " + timeout);
        }
        if (retries < 0) {
            throw new IllegalArgumentException("MCP server " + name + ": retries must be 0 or more, got " + retries);
        }
    }

    /** True when this server's tool {@code mcpName} is to be imported. */
    public boolean imports(String mcpName) {
        return tools.isEmpty() || tools.contains(mcpName);
    }

    /** The Skein name of the server's tool {@code mcpName}, or empty when it cannot be one. */
    public Optional<String> skeinName(String mcpName) {
        String chosen = rename.getOrDefault(mcpName, mcpName.toLowerCase(java.util.Locale.ROOT));
        String cleaned = chosen.replaceAll("[^a-z0-9_]", "_");
        return cleaned.matches("[a-z][a-z0-9_]{0,63}") ? Optional.of(cleaned) : Optional.empty();
    }

    public boolean requiresApproval(String mcpName) {
        return approval.contains("*") || approval.contains(mcpName);
    }

    public boolean isCacheable(String mcpName) {
        return cacheable.contains("*") || cacheable.contains(mcpName);
    }

    /** True when this server's {@code readOnlyHint} for its tool {@code mcpName} is to be believed. */
    public boolean trustsReadOnlyHint(String mcpName) {
        return trustReadOnlyHint.contains("*") || trustReadOnlyHint.contains(mcpName);
    }

    /** How the server is reached, for messages: its command or its URL. */
    public String describe() {
        if (url != null) {
            return url.toString();
        }
        // A command may carry a whole class path: its start is enough to know it by.
        String text = String.join(" ", command);
        return text.length() <= 160 ? text : text.substring(0, 157) + "...";
    }
}
