package dev.skein.schemas.registry;

import java.util.List;

/**
 * A registry that can say what it holds, subject by subject: what the read side of the Confluent
 * REST API serves. A subject's versions are its schema ids in the order they were first
 * registered under it, numbered from 1.
 */
public interface ListableSchemaRegistry extends SchemaRegistry {

    /** The subjects known to this registry, sorted. */
    List<String> subjects();

    /** The schema ids of {@code subject}, oldest first (version {@code n} is element {@code n - 1}); empty when unknown. */
    List<Integer> idsOf(String subject);
}
