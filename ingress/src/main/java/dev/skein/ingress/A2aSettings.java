package dev.skein.ingress;

import dev.skein.schemas.SessionAddress;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * Which agents the ingress serves over A2A 1.0 ({@code skein.a2a}), and how their cards name them.
 *
 * @param enabled      serve {@code /a2a/{agent}} and {@code /.well-known/agent-card.json} ({@code skein.a2a.enabled})
 * @param agents       the agents served, those of {@code skein.agents.definitions}
 * @param defaultAgent the agent of the well-known card ({@code skein.session.default-agent}); when it is
 *                     not among {@code agents} (an agent built in code), there is no well-known card
 * @param publicUrl    the base URL written into the cards; null: the scheme and host of the request
 *                     that fetched the card ({@code skein.a2a.public-url})
 * @param descriptions a card's description by agent ({@code skein.a2a.descriptions}); others get a generic one
 */
public record A2aSettings(
        boolean enabled, List<String> agents, String defaultAgent, URI publicUrl, Map<String, String> descriptions) {

    /** Nothing is served over A2A. */
    public static final A2aSettings OFF = new A2aSettings(false, List.of(), null, null, Map.of());

    public A2aSettings {
        agents = List.copyOf(agents);
        descriptions = Map.copyOf(descriptions);
        for (String agent : agents) {
            if (!SessionAddress.isValidPart(agent)) {
                throw new IllegalArgumentException("agent name '" + agent + "' cannot be served over A2A (skein.a2a):"
                        + " its name goes in a URL path, so use 1 to 128 of the characters A-Z a-z 0-9 . _ -");
            }
        }
        for (String named : descriptions.keySet()) {
            if (!agents.contains(named)) {
                throw new IllegalArgumentException("skein.a2a.descriptions names '" + named
                        + "', which is not an agent of skein.agents.definitions " + agents);
            }
        }
        if (publicUrl != null
                && (publicUrl.getScheme() == null
                        || !List.of("http", "https").contains(publicUrl.getScheme())
                        || publicUrl.getHost() == null)) {
            throw new IllegalArgumentException(
                    "skein.a2a.public-url must be an http or https URL such as https://agents.example.com, got "
                            + publicUrl);
        }
    }

    public boolean serves(String agent) {
        return enabled && agents.contains(agent);
    }

    String description(String agent) {
        return descriptions.getOrDefault(
                agent,
                "The Skein agent '" + agent + "': its sessions are durable (kept in Kafka across restarts), its tool"
                        + " calls are scheduled on worker pools.");
    }
}
