package dev.skein.workers.mcp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The access token of one MCP server's client credentials: fetched from the token endpoint when
 * first needed, kept until shortly before it expires (a quarter of its lifetime before, at most a
 * minute), fetched again then, and dropped when the server answers 401 to it. One fetch at a time:
 * callers that need a token while one is being fetched wait for that one.
 */
final class AccessTokens {

    /** The token endpoint did not give a token; the message says why, never with the secret. */
    static final class TokenEndpointException extends RuntimeException {
        TokenEndpointException(String message) {
            super(message);
        }
    }

    // A token answer is a small JSON object; a bigger body is not one.
    private static final int MAX_BODY = 64 * 1024;
    private static final Duration MAX_EARLY = Duration.ofMinutes(1);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final OAuthClientCredentials credentials;
    private final Duration timeout;
    private final Clock clock;
    private final HttpClient http;
    private String token;
    private Instant refreshAt = Instant.MIN;
    private int fetches;

    AccessTokens(OAuthClientCredentials credentials, Duration timeout, Clock clock) {
        this.credentials = credentials;
        this.timeout = timeout;
        this.clock = clock;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    /** A token that is not about to expire, fetching one when needed. */
    synchronized String current() {
        if (token == null || !clock.instant().isBefore(refreshAt)) {
            fetch();
        }
        return token;
    }

    /** The server refused {@code refused}: the next {@link #current} fetches a new one (once per token). */
    synchronized void invalidate(String refused) {
        if (refused != null && refused.equals(token)) {
            token = null;
        }
    }

    /** How many tokens were fetched: for tests and logs. */
    synchronized int fetches() {
        return fetches;
    }

    private void fetch() {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("grant_type", "client_credentials");
        if (!credentials.scopes().isEmpty()) {
            form.put("scope", String.join(" ", credentials.scopes()));
        }
        if (credentials.audience() != null) {
            form.put("audience", credentials.audience());
        }
        HttpRequest.Builder request = HttpRequest.newBuilder(credentials.tokenUrl())
                .timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json");
        if (credentials.basicAuth()) {
            // RFC 6749 2.3.1: id and secret are form-encoded before they are joined and base64-encoded.
            String pair = encode(credentials.clientId()) + ":" + encode(credentials.clientSecret());
            request.header(
                    "Authorization",
                    "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
        } else {
            form.put("client_id", credentials.clientId());
            form.put("client_secret", credentials.clientSecret());
        }
        String body = form.entrySet().stream()
                .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                .collect(Collectors.joining("&"));
        Instant asked = clock.instant();
        HttpResponse<InputStream> response;
        try {
            response = http.send(
                    request.POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
        } catch (IOException e) {
            throw refused("cannot be reached: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw refused("was interrupted");
        }
        JsonNode answer = parse(response.body());
        if (response.statusCode() != 200) {
            String error = answer.path("error").asText("");
            String description = answer.path("error_description").asText("");
            throw refused("answered " + response.statusCode() + (error.isEmpty() ? "" : " " + error)
                    + (description.isEmpty() ? "" : " (" + description + ")")
                    + (response.statusCode() == 401 || "invalid_client".equals(error)
                            ? ": the client id or secret is wrong"
                            : ""));
        }
        String accessToken = answer.path("access_token").asText("");
        String type = answer.path("token_type").asText("");
        if (accessToken.isEmpty() || !type.equalsIgnoreCase("bearer")) {
            throw refused("answered no bearer access_token (token_type '" + type + "')");
        }
        fetches++;
        token = accessToken;
        long lifetime = answer.path("expires_in").asLong(0);
        if (lifetime <= 0) {
            // No lifetime given: kept until the server refuses it.
            refreshAt = Instant.MAX;
        } else {
            Duration life = Duration.ofSeconds(lifetime);
            Duration early = life.dividedBy(4).compareTo(MAX_EARLY) > 0 ? MAX_EARLY : life.dividedBy(4);
            refreshAt = asked.plus(life).minus(early);
        }
    }

    private JsonNode parse(InputStream in) {
        byte[] bytes;
        try (in) {
            bytes = in.readNBytes(MAX_BODY + 1);
        } catch (IOException e) {
            throw refused("broke off its answer: " + e.getMessage());
        }
        if (bytes.length > MAX_BODY) {
            throw refused("answered more than " + MAX_BODY + " bytes, which is no token answer");
        }
        try {
            JsonNode tree = JSON.readTree(bytes);
            return tree == null ? JSON.createObjectNode() : tree;
        } catch (IOException e) {
            // Not JSON (an HTML error page): the status alone says what happened.
            return JSON.createObjectNode();
        }
    }

    private TokenEndpointException refused(String what) {
        return new TokenEndpointException(
                "the token endpoint " + credentials.tokenUrl() + " (client " + credentials.clientId() + ") " + what);
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
