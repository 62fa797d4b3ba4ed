package dev.skein.ingress;

import dev.skein.schemas.ClientText;
import dev.skein.schemas.registry.ListableSchemaRegistry;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.apache.avro.Schema;

/** One version of a subject, as {@code GET /registry/subjects/{subject}/versions/{version}} shows it. */
record SubjectVersion(String subject, int version, int id, Schema schema) {

    /**
     * Version {@code version} ({@code latest}, {@code -1} for latest, or 1 and up) of a subject whose ids are {@code ids}.
     *
     * @throws RegistryRefusal 42202 when {@code version} is not a version number, 40402 when the subject has no such version
     */
    static SubjectVersion of(ListableSchemaRegistry registry, String subject, String version, List<Integer> ids) {
        int number = number(version);
        int v = number == -1 ? ids.size() : number;
        if (v > ids.size()) {
            throw new RegistryRefusal(
                    404,
                    40402,
                    "Version " + ClientText.shown(version) + " of subject " + ClientText.quote(subject)
                            + " not found: it has versions 1 to " + ids.size());
        }
        int id = ids.get(v - 1);
        return new SubjectVersion(subject, v, id, registry.schemaById(id));
    }

    /**
     * Checked before the subject, as Confluent does.
     *
     * @throws RegistryRefusal 42202 unless {@code version} is {@code latest}, -1, or 1 to 2<sup>31</sup>-1
     */
    static int number(String version) {
        if ("latest".equals(version)) {
            return -1;
        }
        try {
            int number = Integer.parseInt(version);
            if (number >= 1 || number == -1) {
                return number;
            }
        } catch (NumberFormatException e) {
            // Falls through to the refusal, which quotes what was sent.
        }
        throw new RegistryRefusal(
                422,
                42202,
                "The specified version " + ClientText.quote(version)
                        + " is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }

    JsonObject json() {
        return new JsonObject()
                .put("subject", subject)
                .put("version", version)
                .put("id", id)
                .put("schema", schema.toString());
    }
}
