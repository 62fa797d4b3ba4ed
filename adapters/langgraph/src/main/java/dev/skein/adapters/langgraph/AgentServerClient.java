package dev.skein.adapters.langgraph;

import static dev.skein.adapters.http.RetryingHttpClient.abbreviate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.adapters.http.RetryingHttpClient;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The few endpoints of the LangGraph Agent Server (LangGraph Platform) REST API that Skein uses:
 * threads, thread state and blocking runs.
 *
 * <p>Errors: 4xx answers (401, 403, 404, 422 ...) are not retryable and carry the server's
 * {@code detail}. A request is repeated ({@link RetryingHttpClient}), with exponential backoff,
 * only when the server cannot have acted on it: the connection was refused, or the answer was
 * 429 or 503; once those retries are spent the failure is final, naming the requests made, so
 * the session does not repeat them again ({@link dev.skein.adapters.RetryBudget}). A 500, other
 * 5xx, a read timeout and 409 (another run of the thread is still going; the server's default
 * {@code multitask_strategy} is {@code reject}) go back to the session as retryable, which
 * asks again with one request per attempt: a run sends its messages with stable ids, so a
 * repeated run does not add them twice.
 */
final class AgentServerClient {

    private static final Logger log = LoggerFactory.getLogger(AgentServerClient.class);

    private final String baseUrl;
    private final String apiKey;
    private final RetryingHttpClient http;
    private final ObjectMapper json;

    /**
     * @param baseUrl the server, e.g. {@code http://localhost:2024}
     * @param apiKey sent as {@code x-api-key} when not null
     * @param timeout how long one request may take (a blocking run included)
     * @param maxRetries how many times a request the server did not act on is repeated
     */
    AgentServerClient(URI baseUrl, String apiKey, Duration timeout, int maxRetries, ObjectMapper json) {
        // Paths are appended, not resolved, so a server behind a path prefix keeps its prefix.
        this.baseUrl = Objects.requireNonNull(baseUrl, "baseUrl").toString().replaceAll("/+$", "");
        this.apiKey = apiKey;
        this.json = json;
        this.http = new RetryingHttpClient(timeout, maxRetries, HttpClient.Redirect.NEVER);
    }

    /** Creates the thread, or leaves it as it is when it exists ({@code if_exists: do_nothing}). */
    JsonNode ensureThread(String threadId, ObjectNode metadata)
            throws AgentServerException, IOException, InterruptedException {
        ObjectNode body = json.createObjectNode().put("thread_id", threadId).put("if_exists", "do_nothing");
        body.set("metadata", metadata);
        return send("POST", "/threads", body);
    }

    /** The thread's current state: values, pending nodes ({@code next}), tasks and their interrupts. */
    JsonNode state(String threadId) throws AgentServerException, IOException, InterruptedException {
        return send("GET", "/threads/" + threadId + "/state", null);
    }

    /** Starts a run and waits for it to finish or pause; answers the run's output values. */
    JsonNode runAndWait(String threadId, ObjectNode run)
            throws AgentServerException, IOException, InterruptedException {
        return send("POST", "/threads/" + threadId + "/runs/wait", run);
    }

    private JsonNode send(String method, String path, JsonNode body)
            throws AgentServerException, IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(http.timeout())
                .header("Accept", "application/json");
        if (apiKey != null) {
            request.header("x-api-key", apiKey);
        }
        if (body == null) {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        } else {
            request.header("Content-Type", "application/json")
                    .method(
                            method,
                            HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body), StandardCharsets.UTF_8));
        }
        RetryingHttpClient.Sent<String> sent;
        try {
            sent = http.send(
                    request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8), method + " " + path);
        } catch (RetryingHttpClient.RefusedException e) {
            // The client repeated it as often as it may: final, or the session would multiply the tries.
            throw AgentServerException.spent(
                    "cannot connect to the LangGraph Agent Server at " + baseUrl + ": "
                            + RetryingHttpClient.describe(e),
                    e.requests());
        } catch (HttpTimeoutException e) {
            throw new AgentServerException(
                    method + " " + path + " timed out after " + http.timeout().toMillis() + " ms", true);
        }
        HttpResponse<String> response = sent.response();
        int status = response.statusCode();
        if (status >= 200 && status < 300) {
            return parse(method, path, response.body());
        }
        String message = "LangGraph Agent Server answered " + status + " to " + method + " " + path + ": "
                + detail(response.body());
        if (sent.refused()) {
            throw AgentServerException.spent(message, sent.requests());
        }
        throw new AgentServerException(message, status == 409 || status >= 500);
    }

    private JsonNode parse(String method, String path, String body) throws AgentServerException {
        try {
            JsonNode parsed = json.readTree(body);
            if (parsed == null || parsed.isMissingNode()) {
                throw new AgentServerException(
                        "LangGraph Agent Server answered " + method + " " + path + " with an empty body", false);
            }
            return parsed;
        } catch (JsonProcessingException e) {
            throw new AgentServerException(
                    "LangGraph Agent Server answered " + method + " " + path + " with something" + " that is not JSON: "
                            + abbreviate(body),
                    false);
        }
    }

    /** The server's {@code detail} (FastAPI's error field), else the body itself. */
    private String detail(String body) {
        try {
            JsonNode error = json.readTree(body);
            if (error != null && error.hasNonNull("detail")) {
                JsonNode detail = error.get("detail");
                return detail.isTextual() ? detail.asText() : detail.toString();
            }
        } catch (JsonProcessingException e) {
            // Proxies answer errors in HTML or plain text: show that text instead.
            log.trace("error body is not JSON: {}", e.getMessage());
        }
        return body == null || body.isBlank() ? "(no detail)" : abbreviate(body);
    }
}
