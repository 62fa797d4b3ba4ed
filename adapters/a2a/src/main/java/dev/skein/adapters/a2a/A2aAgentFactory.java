package dev.skein.adapters.a2a;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.jwk.JWK;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentSpec;
import dev.skein.schemas.a2a.AgentCardSignatures;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Builds {@link A2aAgent}s, kind {@value #KIND}. Options:
 * <ul>
 *   <li>{@code card-url} or {@code base-url} (one of them is required): the agent card's URL, or
 *       the agent's base URL under which the card is discovered;</li>
 *   <li>{@code api-key-env} (no default): the environment variable holding a token sent as
 *       {@code Authorization: Bearer <token>}; no header when unset;</li>
 *   <li>{@code blocking} (default true): {@code configuration.blocking} of {@code message/send};
 *       with false the adapter polls the task until it settles;</li>
 *   <li>{@code streaming} (default true): use {@code message/stream} when the card offers it;</li>
 *   <li>{@code max-retries} (default {@value AgentSpec#DEFAULT_MAX_RETRIES}): how often a request the agent
 *       refused without acting on it (429, 503, connection refused) is repeated.</li>
 *   <li>{@code trusted-card-keys} (no default): files of public keys (JWK sets, JWKs or PEM, separated
 *       by commas); with them the agent's card must carry an A2A 1.0 signature by one of them, or
 *       the agent is refused.</li>
 * </ul>
 */
public final class A2aAgentFactory implements AgentAdapterFactory {

    public static final String KIND = "a2a";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public AgentAdapter create(AgentSpec spec, Map<String, String> environment) {
        Optional<String> cardUrl = spec.option("card-url");
        Optional<String> baseUrl = spec.option("base-url");
        if (cardUrl.isEmpty() && baseUrl.isEmpty()) {
            throw new IllegalArgumentException("agent " + spec.name() + " (a2a) needs skein.agents.definitions."
                    + spec.name() + ".card-url or skein.agents.definitions." + spec.name() + ".base-url");
        }
        A2aAgent.CardSource source = cardUrl.isPresent()
                ? new A2aAgent.CardSource(spec.httpUrl("card-url"), null)
                : new A2aAgent.CardSource(
                        null, spec.httpUrl("base-url").toString().replaceAll("/+$", ""));
        String apiKey = spec.apiKey(environment, null).orElse(null);
        ObjectMapper json = new ObjectMapper();
        A2aClient client =
                new A2aClient(spec.name(), apiKey, spec.timeout(), spec.maxRetries(), json, trustedKeys(spec));
        return new A2aAgent(spec, source, client, flag(spec, "blocking"), flag(spec, "streaming"), json);
    }

    private static List<JWK> trustedKeys(AgentSpec spec) {
        List<JWK> keys = new ArrayList<>();
        for (String file : spec.option("trusted-card-keys").orElse("").split(",")) {
            if (file.isBlank()) {
                continue;
            }
            try {
                keys.addAll(AgentCardSignatures.readPublicKeys(Path.of(file.trim())));
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "agent " + spec.name() + ": skein.agents.definitions." + spec.name() + ".trusted-card-keys: "
                                + e.getMessage(),
                        e);
            }
        }
        return keys;
    }

    private static boolean flag(AgentSpec spec, String key) {
        String value = spec.option(key).orElse("true").trim().toLowerCase(Locale.ROOT);
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default ->
                throw new IllegalArgumentException(
                        "agent " + spec.name() + ": " + key + " must be true or false, got '" + value + "'");
        };
    }
}
