package dev.skein.adapters.a2a;

import static dev.skein.adapters.http.RetryingHttpClient.abbreviate;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.jwk.JWK;
import dev.skein.adapters.http.RetryingHttpClient;
import dev.skein.schemas.a2a.AgentCardSignatures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The A2A wire protocol over HTTP: agent card discovery; to 0.3 agents, JSON-RPC 2.0 calls and
 * their Server-Sent Events streams; to 1.0 agents, the JSON-RPC or the HTTP+JSON binding, whichever
 * the card prefers, translated to and from 0.3's shapes by {@link A2aV1}.
 *
 * <p>Written on Jackson trees rather than the types of {@code a2a-java-sdk-spec}: those records
 * reject cards and tasks that lack fields the spec marks required (skills, default modes,
 * version ...) which agents in the wild omit, and they bring Jackson modules of another version
 * than the one Avro pins. Skein reads a handful of fields, tolerantly.
 *
 * <p>Errors: 401, 403, 404 and other 4xx are not retryable. A request is repeated
 * ({@link RetryingHttpClient}), with exponential backoff, only when the agent cannot have acted
 * on it: the connection was refused, or the answer was 429 or 503; once those retries are spent
 * the failure is final, naming the requests made ({@link dev.skein.adapters.RetryBudget}). Other
 * 5xx answers are retryable by the session (one request per attempt). A timeout of a
 * {@code message/*} call is final: the message reached the agent, which may act on it, so it is
 * never sent again; a timeout reading a card or a task is retryable.
 */
final class A2aClient {

    /** Receives the {@code result} of each event of a stream; returns false to stop reading. */
    @FunctionalInterface
    interface EventHandler {
        boolean onResult(JsonNode result) throws A2aException;
    }

    static final String CARD_PATH = "/.well-known/agent-card.json";
    /** Where agents before protocol 0.3 serve their card. */
    static final String LEGACY_CARD_PATH = "/.well-known/agent.json";
    /** The HTTP+JSON binding's media type (A2A 1.0, section 11.1). */
    static final String REST_JSON = "application/a2a+json";

    private static final Logger log = LoggerFactory.getLogger(A2aClient.class);

    private final String agent;
    private final String apiKey;
    private final ObjectMapper json;
    private final RetryingHttpClient http;
    private final A2aHttpErrors errors;
    private final List<JWK> trustedCardKeys;

    /** @param agent the Skein agent's name, for messages */
    A2aClient(String agent, String apiKey, Duration timeout, int maxRetries, ObjectMapper json) {
        this(agent, apiKey, timeout, maxRetries, json, List.of());
    }

    /**
     * @param trustedCardKeys public keys one of which must have signed the agent's card (A2A 1.0
     *                        {@code signatures}); empty: cards are not checked
     */
    A2aClient(
            String agent,
            String apiKey,
            Duration timeout,
            int maxRetries,
            ObjectMapper json,
            List<JWK> trustedCardKeys) {
        this.agent = agent;
        this.apiKey = apiKey;
        this.json = json;
        this.http = new RetryingHttpClient(timeout, maxRetries, HttpClient.Redirect.NORMAL);
        this.errors = new A2aHttpErrors(json);
        this.trustedCardKeys = List.copyOf(trustedCardKeys);
    }

    /**
     * The card's text, once its signature is checked against the trusted keys (when there are any).
     * A card that is not signed by one of them is refused for good: it is not a transient failure.
     */
    private String verified(URI cardUrl, String body) throws A2aException {
        if (trustedCardKeys.isEmpty()) {
            return body;
        }
        try {
            AgentCardSignatures.verify(body, trustedCardKeys);
            return body;
        } catch (AgentCardSignatures.InvalidSignature e) {
            throw new A2aException(
                    "agent " + agent + ": the A2A agent card at " + cardUrl + " is not signed by a key of"
                            + " trusted-card-keys (" + e.getMessage() + "); refusing to talk to it. Check that the"
                            + " peer signs its card with the key you trust (its skein.a2a.signing-key-path)",
                    false);
        }
    }

    /** The card at {@code cardUrl}. */
    AgentCard card(URI cardUrl) throws A2aException, IOException, InterruptedException {
        RetryingHttpClient.Sent<String> sent =
                send(request(cardUrl, "application/json", false).GET().build(), "GET " + cardUrl, false);
        HttpResponse<String> response = sent.response();
        if (response.statusCode() != 200) {
            throw errors.http("GET " + cardUrl, sent);
        }
        return AgentCard.from(parse("the agent card at " + cardUrl, verified(cardUrl, response.body())), cardUrl);
    }

    /** The card of the agent at {@code baseUrl}: the 0.3 location first, then the older one. */
    AgentCard discover(String baseUrl) throws A2aException, IOException, InterruptedException {
        URI current = URI.create(baseUrl + CARD_PATH);
        RetryingHttpClient.Sent<String> sent =
                send(request(current, "application/json", false).GET().build(), "GET " + current, false);
        HttpResponse<String> response = sent.response();
        if (response.statusCode() == 404) {
            log.debug("No agent card at {}; trying {}", current, LEGACY_CARD_PATH);
            return card(URI.create(baseUrl + LEGACY_CARD_PATH));
        }
        if (response.statusCode() != 200) {
            throw errors.http("GET " + current, sent);
        }
        return AgentCard.from(parse("the agent card at " + current, verified(current, response.body())), current);
    }

    /**
     * Calls {@code method} (a 0.3 name: {@code message/send}, {@code tasks/get} ...) with
     * {@code params} in 0.3's shape, over the card's binding, and answers the result in 0.3's shape
     * ({@link A2aV1} translates both ways for a 1.0 agent).
     */
    JsonNode call(AgentCard card, String id, String method, JsonNode params)
            throws A2aException, IOException, InterruptedException {
        return switch (card.binding()) {
            case JSONRPC_0_3 -> call(card.rpcUrl(), id, method, params, false);
            case JSONRPC_1_0 -> {
                JsonNode result =
                        call(card.rpcUrl(), id, A2aV1.method(method), A2aV1.params(params, card.tenant()), true);
                yield method.startsWith("message/") ? A2aV1.response(result) : A2aV1.task(result);
            }
            case HTTP_JSON_1_0 -> rest(card, method, params);
        };
    }

    /** Streams {@code message/stream} over the card's binding; the handler gets 0.3-shaped results. */
    void stream(AgentCard card, String id, JsonNode params, EventHandler handler)
            throws A2aException, IOException, InterruptedException {
        switch (card.binding()) {
            case JSONRPC_0_3 -> stream(card.rpcUrl(), id, "message/stream", params, handler, false);
            case JSONRPC_1_0 ->
                stream(
                        card.rpcUrl(),
                        id,
                        A2aV1.method("message/stream"),
                        A2aV1.params(params, card.tenant()),
                        result -> handler.onResult(A2aV1.response(result)),
                        true);
            case HTTP_JSON_1_0 -> {
                HttpRequest request = request(URI.create(restBase(card) + "/message:stream"), "text/event-stream", true)
                        .header("Content-Type", REST_JSON)
                        .POST(HttpRequest.BodyPublishers.ofString(
                                json.writeValueAsString(A2aV1.params(params, null)), StandardCharsets.UTF_8))
                        .build();
                streamEvents(
                        request,
                        "POST /message:stream",
                        true,
                        body -> body,
                        result -> handler.onResult(A2aV1.response(result)));
            }
        }
    }

    /** The HTTP+JSON binding (A2A 1.0, section 11): {@code POST /message:send}, {@code GET /tasks/{id}}. */
    private JsonNode rest(AgentCard card, String method, JsonNode params)
            throws A2aException, IOException, InterruptedException {
        String base = restBase(card);
        HttpRequest request;
        String what;
        switch (method) {
            case "message/send" -> {
                what = "POST /message:send";
                request = request(URI.create(base + "/message:send"), REST_JSON, true)
                        .header("Content-Type", REST_JSON)
                        .POST(HttpRequest.BodyPublishers.ofString(
                                json.writeValueAsString(A2aV1.params(params, null)), StandardCharsets.UTF_8))
                        .build();
            }
            case "tasks/get" -> {
                String task = java.net.URLEncoder.encode(params.path("id").asText(), StandardCharsets.UTF_8);
                what = "GET /tasks/" + task;
                request = request(URI.create(base + "/tasks/" + task), REST_JSON, true)
                        .GET()
                        .build();
            }
            default -> throw new IllegalArgumentException("no HTTP+JSON operation for " + method);
        }
        RetryingHttpClient.Sent<String> sent = send(request, what, actsOn(method));
        HttpResponse<String> response = sent.response();
        if (response.statusCode() != 200) {
            throw errors.rest(what, sent);
        }
        JsonNode body = parse("the answer to " + what, response.body());
        return method.startsWith("message/") ? A2aV1.response(body) : A2aV1.task(body);
    }

    /** The interface URL, with the interface's tenant as the first path segment when it has one. */
    private static String restBase(AgentCard card) {
        String url = card.rpcUrl().toString();
        url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return card.tenant() == null
                ? url
                : url + "/" + java.net.URLEncoder.encode(card.tenant(), StandardCharsets.UTF_8);
    }

    private JsonNode call(URI endpoint, String id, String method, JsonNode params, boolean v1)
            throws A2aException, IOException, InterruptedException {
        HttpRequest request = request(endpoint, "application/json", v1)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(envelope(id, method, params), StandardCharsets.UTF_8))
                .build();
        RetryingHttpClient.Sent<String> sent = send(request, method, actsOn(method));
        HttpResponse<String> response = sent.response();
        if (response.statusCode() != 200) {
            throw errors.http(method, sent);
        }
        return result(method, parse("the answer to " + method, response.body()));
    }

    /**
     * Calls a streaming {@code method} and hands the {@code result} of each event to
     * {@code handler}, until the stream ends or the handler stops it.
     */
    private void stream(URI endpoint, String id, String method, JsonNode params, EventHandler handler, boolean v1)
            throws A2aException, IOException, InterruptedException {
        HttpRequest request = request(endpoint, "text/event-stream", v1)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(envelope(id, method, params), StandardCharsets.UTF_8))
                .build();
        streamEvents(request, method, true, body -> result(method, body), handler);
    }

    /** A JSON object from one event's data: the JSON-RPC result, or the event itself (HTTP+JSON). */
    @FunctionalInterface
    private interface Unwrap {
        JsonNode apply(JsonNode body) throws A2aException;
    }

    private void streamEvents(HttpRequest request, String method, boolean acts, Unwrap unwrap, EventHandler handler)
            throws A2aException, IOException, InterruptedException {
        RetryingHttpClient.Sent<Stream<String>> sent = sendStreaming(request, method, acts);
        HttpResponse<Stream<String>> response = sent.response();
        try (Stream<String> lines = response.body()) {
            if (response.statusCode() != 200) {
                String body = String.join("\n", (Iterable<String>) lines::iterator);
                throw errors.http(method, response.statusCode(), body, sent.refused() ? sent.requests() : 0);
            }
            String contentType = response.headers().firstValue("Content-Type").orElse("");
            if (!contentType.startsWith("text/event-stream")) {
                // An agent may answer a stream request with one plain JSON-RPC response (an error, usually).
                String body = String.join("\n", (Iterable<String>) lines::iterator);
                handler.onResult(unwrap.apply(parse("the answer to " + method, body)));
                return;
            }
            readEvents(lines.iterator(), method, unwrap, handler);
        } catch (UncheckedIOException e) {
            // Reading a stream blocks outside HttpClient#send: an interrupt surfaces as an I/O error.
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException("interrupted while reading the " + method + " stream");
            }
            throw e.getCause();
        }
    }

    // Server-Sent Events: "data:" lines accumulate until a blank line ends the event; comments
    // (":") and other fields (event, id, retry) carry nothing A2A needs.
    private void readEvents(Iterator<String> lines, String method, Unwrap unwrap, EventHandler handler)
            throws A2aException {
        StringBuilder data = new StringBuilder();
        while (lines.hasNext()) {
            String line = lines.next();
            if (line.isEmpty()) {
                if (!data.isEmpty()) {
                    boolean more = handler.onResult(unwrap.apply(parse("an event of " + method, data.toString())));
                    data.setLength(0);
                    if (!more) {
                        return;
                    }
                }
            } else if (line.startsWith("data:")) {
                if (!data.isEmpty()) {
                    data.append('\n');
                }
                data.append(line.startsWith("data: ") ? line.substring(6) : line.substring(5));
            }
        }
        if (!data.isEmpty()) {
            handler.onResult(unwrap.apply(parse("an event of " + method, data.toString())));
        }
    }

    private String envelope(String id, String method, JsonNode params) throws JsonProcessingException {
        ObjectNode envelope =
                json.createObjectNode().put("jsonrpc", "2.0").put("id", id).put("method", method);
        envelope.set("params", params);
        return json.writeValueAsString(envelope);
    }

    /** The {@code result} of a JSON-RPC response, or its {@code error} as an exception. */
    private JsonNode result(String method, JsonNode response) throws A2aException {
        JsonNode error = response.path("error");
        if (error.isObject()) {
            int code = error.path("code").asInt();
            String message = error.path("message").asText("(no message)");
            JsonNode data = error.path("data");
            // -32603 is the agent's own internal error, which may pass; every other code says the
            // request itself is wrong (parse, params, method, task not found, unsupported ...).
            throw new A2aException(
                    "A2A agent answered " + method + " with error " + code + ": " + message
                            + (data.isMissingNode() || data.isNull() ? "" : " (" + abbreviate(data.toString()) + ")"),
                    code == -32603,
                    code);
        }
        JsonNode result = response.path("result");
        if (!result.isObject()) {
            throw new A2aException(
                    "A2A agent answered " + method + " without a result object: " + abbreviate(response.toString()),
                    false);
        }
        return result;
    }

    /** @param v1 sends {@code A2A-Version: 1.0}, which a 1.0 agent requires (an absent header means 0.3) */
    private HttpRequest.Builder request(URI uri, String accept, boolean v1) {
        HttpRequest.Builder request =
                HttpRequest.newBuilder(uri).timeout(http.timeout()).header("Accept", accept);
        if (v1) {
            request.header("A2A-Version", "1.0");
        }
        if (apiKey != null) {
            request.header("Authorization", "Bearer " + apiKey);
        }
        return request;
    }

    /** The methods that hand the agent a message it acts on; reading a card or a task does not. */
    private static boolean actsOn(String method) {
        return method.startsWith("message/") || method.startsWith("SendMessage") || method.startsWith("SendStreaming");
    }

    private RetryingHttpClient.Sent<String> send(HttpRequest request, String what, boolean acts)
            throws A2aException, IOException, InterruptedException {
        return retrying(request, what, acts, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private RetryingHttpClient.Sent<Stream<String>> sendStreaming(HttpRequest request, String what, boolean acts)
            throws A2aException, IOException, InterruptedException {
        return retrying(request, what, acts, HttpResponse.BodyHandlers.ofLines());
    }

    private <T> RetryingHttpClient.Sent<T> retrying(
            HttpRequest request, String what, boolean acts, HttpResponse.BodyHandler<T> body)
            throws A2aException, IOException, InterruptedException {
        try {
            return http.send(request, body, what);
        } catch (RetryingHttpClient.RefusedException e) {
            // The client repeated it as often as it may: final, or the session would multiply the tries.
            throw A2aException.spent(
                    "cannot connect to the A2A agent at " + request.uri() + ": " + RetryingHttpClient.describe(e),
                    e.requests());
        } catch (HttpTimeoutException e) {
            if (acts) {
                // The message reached the agent, which may be working on it: sending it again
                // would make it act twice. The turn fails with the timeout instead.
                throw new A2aException(
                        "agent '" + agent + "' did not answer " + what + " within " + seconds(http.timeout())
                                + " (" + request.uri() + "); the message is not sent again, as the agent may have"
                                + " acted on it",
                        false);
            }
            throw new A2aException(what + " to " + request.uri() + " timed out after " + seconds(http.timeout()), true);
        }
    }

    private static String seconds(Duration timeout) {
        return timeout.toMillis() % 1000 == 0 ? timeout.toSeconds() + " s" : timeout.toMillis() + " ms";
    }

    private JsonNode parse(String what, String body) throws A2aException {
        try {
            JsonNode parsed = json.readTree(body);
            if (parsed == null || !parsed.isObject()) {
                throw new A2aException(what + " is not a JSON object: " + abbreviate(body), false);
            }
            return parsed;
        } catch (JsonProcessingException e) {
            throw new A2aException(what + " is not JSON: " + abbreviate(body), false);
        }
    }
}
