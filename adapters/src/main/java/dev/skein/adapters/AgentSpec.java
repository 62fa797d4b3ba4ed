package dev.skein.adapters;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An agent as configured by name ({@code skein.agents.definitions.<name>}): which adapter kind
 * runs it, where and how it connects, and how it behaves.
 *
 * @param name how sessions and turns name it
 * @param kind the adapter kind: {@code demo}, {@code openai}, {@code langchain4j}, {@code langgraph}, {@code a2a}
 * @param options kind-specific settings, e.g. {@code base-url}, {@code model}, {@code api-key-env},
 *     {@code provider}, {@code assistant-id}, {@code card-url}, {@code max-tokens}, {@code temperature}
 * @param systemPrompt prepended to every invocation when not blank
 * @param timeout how long one step may take before it fails as retryable
 * @param handoffs agents this one may hand the session to (offered as {@code transfer_to_<name>} tools)
 */
public record AgentSpec(String name, String kind, Map<String, String> options, String systemPrompt,
                        Duration timeout, List<String> handoffs) {

    public AgentSpec {
        if (name == null || !name.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new IllegalArgumentException("agent name '" + name + "' must be 1 to 64 of A-Z a-z 0-9 . _ -");
        }
        if (kind == null || kind.isBlank()) {
            throw new IllegalArgumentException("agent " + name + " needs a kind (demo, openai, langchain4j, langgraph, a2a)");
        }
        options = Map.copyOf(options);
        systemPrompt = systemPrompt == null ? "" : systemPrompt;
        handoffs = List.copyOf(handoffs);
    }

    public static AgentSpec of(String name, String kind) {
        return new AgentSpec(name, kind, Map.of(), "", Duration.ofSeconds(25), List.of());
    }

    public Optional<String> option(String key) {
        return Optional.ofNullable(options.get(key)).filter(v -> !v.isBlank());
    }

    /** The option, or a clear error naming the key to set. */
    public String required(String key) {
        return option(key).orElseThrow(() -> new IllegalArgumentException(
                "agent " + name + " (" + kind + ") needs skein.agents.definitions." + name + "." + key));
    }
}
