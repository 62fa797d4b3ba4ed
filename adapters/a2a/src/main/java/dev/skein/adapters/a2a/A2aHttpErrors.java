package dev.skein.adapters.a2a;

import static dev.skein.adapters.http.RetryingHttpClient.abbreviate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.adapters.http.RetryingHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What an A2A agent's HTTP error answers say, as {@link A2aException}s that tell retryable from final. */
final class A2aHttpErrors {

    private static final Logger log = LoggerFactory.getLogger(A2aHttpErrors.class);

    private final ObjectMapper json;

    A2aHttpErrors(ObjectMapper json) {
        this.json = json;
    }

    /**
     * An HTTP+JSON error: a {@code google.rpc.Status} whose {@code ErrorInfo} names the A2A error,
     * mapped to its JSON-RPC code so that callers tell errors apart as for the other bindings.
     */
    A2aException rest(String what, RetryingHttpClient.Sent<String> sent) {
        int status = sent.response().statusCode();
        if (sent.refused() || status == 401 || status == 403) {
            return http(what, sent);
        }
        String reason = "";
        String message = detail(sent.response().body());
        try {
            JsonNode error = json.readTree(sent.response().body()).path("error");
            for (JsonNode detail : error.path("details")) {
                if (detail.hasNonNull("reason")) {
                    reason = detail.get("reason").asText();
                }
            }
        } catch (JsonProcessingException | RuntimeException e) {
            log.trace("error body is not a google.rpc.Status: {}", e.getMessage());
        }
        int code = switch (reason) {
            case "TASK_NOT_FOUND" -> A2aException.TASK_NOT_FOUND;
            case "UNSUPPORTED_OPERATION" -> A2aException.UNSUPPORTED_OPERATION;
            default -> 0;
        };
        return new A2aException(
                "A2A agent answered " + status + " to " + what + (reason.isEmpty() ? "" : " (" + reason + ")") + ": "
                        + message,
                status >= 500,
                code);
    }

    A2aException http(String what, RetryingHttpClient.Sent<String> sent) {
        return http(what, sent.response().statusCode(), sent.response().body(), sent.refused() ? sent.requests() : 0);
    }

    /** @param spentRequests the requests made for a 429 or 503 this client gave up on, else 0 */
    A2aException http(String what, int status, String body, int spentRequests) {
        String reason = switch (status) {
            case 401, 403 -> " (check the credentials in the variable named by api-key-env)";
            default -> "";
        };
        String message = "A2A agent answered " + status + " to " + what + reason + ": " + detail(body);
        if (spentRequests > 0) {
            return A2aException.spent(message, spentRequests);
        }
        return new A2aException(message, status >= 500);
    }

    // A JSON-RPC error or a FastAPI/Starlette "detail" when the body has one, else the body.
    String detail(String body) {
        try {
            JsonNode error = json.readTree(body);
            if (error != null && error.path("error").hasNonNull("message")) {
                return error.path("error").path("message").asText();
            }
            if (error != null && error.hasNonNull("detail")) {
                return error.get("detail").isTextual()
                        ? error.get("detail").asText()
                        : error.get("detail").toString();
            }
        } catch (JsonProcessingException e) {
            log.trace("error body is not JSON: {}", e.getMessage());
        }
        return body == null || body.isBlank() ? "(no detail)" : abbreviate(body);
    }
}
