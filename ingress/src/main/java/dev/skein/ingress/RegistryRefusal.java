package dev.skein.ingress;

import dev.skein.schemas.ClientText;

/**
 * A {@code /registry} request refused with Confluent's error code (40401 subject not found, 40402
 * version not found, 40403 schema not found, 42201 invalid schema, 42202 invalid version, 42208
 * invalid subject; the HTTP status where Confluent has no finer code). An answer, not a bug: no
 * stack trace.
 */
final class RegistryRefusal extends RuntimeException {

    private final int status;
    private final int errorCode;

    RegistryRefusal(int status, int errorCode, String message) {
        super(message, null, false, false);
        this.status = status;
        this.errorCode = errorCode;
    }

    static RegistryRefusal subjectNotFound(String subject) {
        return new RegistryRefusal(
                404,
                40401,
                "Subject " + ClientText.quote(subject)
                        + " not found: no schema was registered under it (values of topic T"
                        + " use subject T-value); GET /registry/subjects lists the subjects");
    }

    static RegistryRefusal schemaNotFound(String what) {
        return new RegistryRefusal(404, 40403, "Schema " + what + " not found");
    }

    static RegistryRefusal invalidSchema(String why) {
        return new RegistryRefusal(422, 42201, "Invalid schema: " + why);
    }

    int status() {
        return status;
    }

    int errorCode() {
        return errorCode;
    }
}
