package dev.skein.ingress;

import dev.skein.schemas.registry.ListableSchemaRegistry;
import java.util.Objects;

/**
 * What the ingress serves under {@code /registry}: the Confluent Schema Registry REST API of the
 * node's embedded registry, or, when the node uses another registry, a 404 that points there.
 */
public final class RegistryApi {

    private final ListableSchemaRegistry registry;
    private final String unavailable;

    private RegistryApi(ListableSchemaRegistry registry, String unavailable) {
        this.registry = registry;
        this.unavailable = unavailable;
    }

    /** Serves {@code registry} (reads, look-ups and registrations) to Confluent-compatible clients. */
    public static RegistryApi serving(ListableSchemaRegistry registry) {
        return new RegistryApi(Objects.requireNonNull(registry, "registry"), null);
    }

    /** Serves nothing: every {@code /registry} route answers 404 naming {@code url}, the registry in use. */
    public static RegistryApi external(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("the external schema registry URL must not be blank");
        }
        return new RegistryApi(
                null,
                "this node uses the external schema registry at " + url
                        + " (skein.schema-registry.url): point Confluent clients at that URL; Skein serves"
                        + " /registry only for its embedded registry");
    }

    /** Serves nothing, for an ingress built without a registry. */
    static RegistryApi none() {
        return new RegistryApi(null, "this ingress serves no schema registry");
    }

    /** Null when nothing is served. */
    ListableSchemaRegistry registry() {
        return registry;
    }

    /** Why nothing is served; null when the registry is. */
    String unavailable() {
        return unavailable;
    }
}
