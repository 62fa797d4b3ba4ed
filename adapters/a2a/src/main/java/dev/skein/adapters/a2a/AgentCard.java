package dev.skein.adapters.a2a;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * What Skein needs from an A2A agent card: where the agent takes JSON-RPC calls and whether it
 * streams.
 *
 * @param name the agent's name, for messages
 * @param rpcUrl the JSON-RPC endpoint ({@code url}, or the {@code JSONRPC} entry of
 *     {@code additionalInterfaces} when the preferred transport is another one)
 * @param streaming {@code capabilities.streaming}
 */
record AgentCard(String name, URI rpcUrl, boolean streaming) {

    static final String JSONRPC = "JSONRPC";

    /**
     * Reads a card as served at {@code cardUrl}; relative endpoint URLs are resolved against it.
     *
     * @throws A2aException when the card names no JSON-RPC endpoint
     */
    static AgentCard from(JsonNode card, URI cardUrl) throws A2aException {
        String name = card.path("name").asText("the A2A agent");
        String preferred = card.path("preferredTransport").asText(JSONRPC);
        String url = null;
        if (JSONRPC.equalsIgnoreCase(preferred)) {
            url = card.path("url").isTextual() ? card.path("url").asText() : null;
        } else {
            for (JsonNode endpoint : card.path("additionalInterfaces")) {
                if (JSONRPC.equalsIgnoreCase(endpoint.path("transport").asText())) {
                    url = endpoint.path("url").asText(null);
                    break;
                }
            }
            if (url == null) {
                throw new A2aException(
                        "agent card " + cardUrl + " (" + name + ") offers transport " + preferred
                                + " but no JSONRPC interface, the only one Skein speaks",
                        false);
            }
        }
        if (url == null || url.isBlank()) {
            throw new A2aException(
                    "agent card " + cardUrl + " (" + name + ") has no \"url\" to send messages to", false);
        }
        try {
            return new AgentCard(
                    name,
                    cardUrl.resolve(new URI(url)),
                    card.path("capabilities").path("streaming").asBoolean(false));
        } catch (URISyntaxException e) {
            throw new A2aException("agent card " + cardUrl + " (" + name + ") has an invalid url '" + url + "'", false);
        }
    }
}
