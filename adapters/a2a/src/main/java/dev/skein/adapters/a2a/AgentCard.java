package dev.skein.adapters.a2a;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * What Skein needs from an A2A agent card: where the agent takes calls, over which binding and
 * protocol version, and whether it streams.
 *
 * <p>A 1.0 card lists {@code supportedInterfaces} in the agent's order of preference; the first
 * one Skein speaks is taken (A2A 1.0, section 8.3.2): JSON-RPC 1.x, HTTP+JSON 1.x, or JSON-RPC
 * 0.3. A 0.3 card has {@code url} and {@code preferredTransport}, with others in
 * {@code additionalInterfaces}; Skein speaks its JSON-RPC one.
 *
 * @param name the agent's name, for messages
 * @param rpcUrl the endpoint: the JSON-RPC URL, or the HTTP+JSON base URL
 * @param streaming {@code capabilities.streaming}
 * @param binding the binding and protocol version spoken to it
 * @param tenant the interface's {@code tenant} (1.0), sent in every request; null when none
 */
record AgentCard(String name, URI rpcUrl, boolean streaming, Binding binding, String tenant) {

    /** The bindings Skein speaks. */
    enum Binding {
        JSONRPC_0_3,
        JSONRPC_1_0,
        HTTP_JSON_1_0;

        boolean v1() {
            return this != JSONRPC_0_3;
        }
    }

    static final String JSONRPC = "JSONRPC";
    static final String HTTP_JSON = "HTTP+JSON";

    /**
     * Reads a card as served at {@code cardUrl}; relative endpoint URLs are resolved against it.
     *
     * @throws A2aException when the card names no interface Skein speaks
     */
    static AgentCard from(JsonNode card, URI cardUrl) throws A2aException {
        String name = card.path("name").asText("the A2A agent");
        boolean streaming = card.path("capabilities").path("streaming").asBoolean(false);
        JsonNode interfaces = card.path("supportedInterfaces");
        if (interfaces.isArray() && !interfaces.isEmpty()) {
            StringBuilder offered = new StringBuilder();
            for (JsonNode each : interfaces) {
                String protocol = each.path("protocolBinding").asText();
                String version = each.path("protocolVersion").asText();
                Binding binding = binding(protocol, version);
                if (binding != null) {
                    String tenant = each.path("tenant").asText(null);
                    return new AgentCard(
                            name,
                            resolve(cardUrl, name, each.path("url").asText(null)),
                            streaming,
                            binding,
                            tenant == null || tenant.isBlank() ? null : tenant);
                }
                offered.append(offered.isEmpty() ? "" : ", ")
                        .append(protocol)
                        .append(' ')
                        .append(version);
            }
            throw new A2aException(
                    "agent card " + cardUrl + " (" + name + ") offers " + offered + "; Skein speaks JSONRPC 1.0,"
                            + " HTTP+JSON 1.0 and JSONRPC 0.3",
                    false);
        }
        return from03(card, cardUrl, name, streaming);
    }

    private static Binding binding(String protocol, String version) {
        boolean v1 = version.equals("1") || version.startsWith("1.");
        if (JSONRPC.equalsIgnoreCase(protocol)) {
            return v1 ? Binding.JSONRPC_1_0 : version.startsWith("0.3") ? Binding.JSONRPC_0_3 : null;
        }
        if (HTTP_JSON.equalsIgnoreCase(protocol) && v1) {
            return Binding.HTTP_JSON_1_0;
        }
        return null;
    }

    private static AgentCard from03(JsonNode card, URI cardUrl, String name, boolean streaming) throws A2aException {
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
                                + " but no JSONRPC interface, the only one Skein speaks to A2A 0.3 agents",
                        false);
            }
        }
        return new AgentCard(name, resolve(cardUrl, name, url), streaming, Binding.JSONRPC_0_3, null);
    }

    private static URI resolve(URI cardUrl, String name, String url) throws A2aException {
        if (url == null || url.isBlank()) {
            throw new A2aException(
                    "agent card " + cardUrl + " (" + name + ") has no \"url\" to send messages to", false);
        }
        try {
            return cardUrl.resolve(new URI(url));
        } catch (URISyntaxException e) {
            throw new A2aException("agent card " + cardUrl + " (" + name + ") has an invalid url '" + url + "'", false);
        }
    }
}
