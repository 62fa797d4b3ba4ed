package dev.skein.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * An error answer of a Confluent-compatible registry: its JSON body
 * {@code {"error_code": 40401, "message": "..."}}, or the HTTP status when a proxy or a broken
 * registry answered something else. Turns it into an exception that says what to do.
 */
record RegistryError(int httpStatus, int errorCode, String message) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_BODY_IN_MESSAGE = 300;

    static RegistryError of(int httpStatus, String body) {
        try {
            JsonNode json = JSON.readTree(body == null ? "" : body);
            if (json != null && json.path("error_code").canConvertToInt()) {
                return new RegistryError(
                        httpStatus,
                        json.get("error_code").intValue(),
                        json.path("message").asText(""));
            }
        } catch (IOException e) {
            // Not JSON (an HTML page from a proxy, say): the status and the raw body are all there is.
            return new RegistryError(httpStatus, httpStatus, abbreviate(body));
        }
        return new RegistryError(httpStatus, httpStatus, abbreviate(body));
    }

    SchemaRegistryException toException(String action, String subject, String baseUrl) {
        String said = message.isBlank() ? "" : " \"" + message + "\"";
        return new SchemaRegistryException(
                "Cannot " + action + ": schema registry at " + baseUrl + " answered HTTP " + httpStatus + ", error "
                        + errorCode + said + ". " + advice(subject),
                errorCode);
    }

    private String advice(String subject) {
        String named = subject == null ? "the subject" : "subject '" + subject + "'";
        return switch (errorCode) {
            case 40401 ->
                "No schema was ever registered under " + named + ": check the topic name"
                        + " (values use subject <topic>-value), or register a schema first.";
            case 40402 -> "That version of " + named + " does not exist: list its versions first.";
            case 40403 ->
                "No schema has that id in this registry: the record was probably written with another"
                        + " registry; point Skein at the registry its producer used.";
            case 409 ->
                "The schema is incompatible with the latest version of " + named + " under its"
                        + " compatibility level: evolve it compatibly (new fields need defaults, do not remove"
                        + " fields without defaults or change types) or change the subject's compatibility level.";
            case 42201 ->
                "The registry finds the schema invalid: fix the Avro schema (the registry's message says"
                        + " what it rejects).";
            case 42202 -> "The version is invalid: versions are positive integers or 'latest'.";
            case 42203 ->
                "The compatibility level is invalid: use one of BACKWARD, FORWARD, FULL, NONE and their"
                        + " _TRANSITIVE forms.";
            case 401 ->
                "The registry refuses the credentials: check the basic auth user:password (for Confluent"
                        + " Cloud, the Schema Registry API key and secret, not the Kafka ones).";
            case 403 -> "The credentials lack permission for " + named + ": grant them access in the registry.";
            default -> adviceByRange();
        };
    }

    private String adviceByRange() {
        if (errorCode >= 42200 && errorCode < 42300 || errorCode == 422) {
            return "The registry cannot process the request: see its message above.";
        }
        if (errorCode >= 50000 && errorCode < 50100 || httpStatus >= 500) {
            return "The registry failed on its side (50001 store error, 50002 timeout, 50003 cannot reach its"
                    + " leader): retry later and check the registry's logs.";
        }
        if (httpStatus == 404) {
            return "Check that the URL points at the registry's root, not a path under it.";
        }
        return "Check the registry URL and the registry's logs.";
    }

    static String abbreviate(String text) {
        if (text == null) {
            return "";
        }
        String oneLine = text.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= MAX_BODY_IN_MESSAGE ? oneLine : oneLine.substring(0, MAX_BODY_IN_MESSAGE) + "...";
    }
}
