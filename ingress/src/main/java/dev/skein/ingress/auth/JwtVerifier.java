package dev.skein.ingress.auth;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.authentication.TokenCredentials;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SignatureException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks bearer tokens with Vert.x's JWT provider: the signature against the configured keys
 * (never {@code alg: none}: the provider refuses it once it has a key, and it always has one),
 * then {@code exp} (required), {@code nbf}, {@code iss} and {@code aud}. The keys of a JWKS URL are
 * fetched at start and again by {@link #refresh()}; a failed refresh keeps the keys it had.
 */
public final class JwtVerifier {

    private static final Logger log = LoggerFactory.getLogger(JwtVerifier.class);
    private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(10);

    private final Vertx vertx;
    private final JwtSettings settings;
    private final AtomicReference<JWTAuth> provider = new AtomicReference<>();

    /**
     * Loads the keys; blocks while it reads the JWKS file or fetches the URL.
     *
     * @throws IllegalArgumentException when the keys cannot be read, naming the setting
     */
    public JwtVerifier(Vertx vertx, JwtSettings settings) {
        this.vertx = vertx;
        this.settings = settings;
        provider.set(build(settings.jwksUrl() == null ? List.of() : fetch()));
    }

    public JwtSettings settings() {
        return settings;
    }

    /** Fetches the JWKS URL again and swaps the keys in; keeps the old ones when that fails. Blocks. */
    public void refresh() {
        if (settings.jwksUrl() == null) {
            return;
        }
        try {
            provider.set(build(fetch()));
        } catch (RuntimeException e) {
            log.warn(
                    "JWKS {} could not be fetched again; keeping the keys read before: {}",
                    settings.jwksUrl(),
                    e.getMessage());
        }
    }

    /** The claims of a token that passes every check; fails with an {@link AuthFailure} otherwise. */
    public Future<JsonObject> verify(String token) {
        return provider.get()
                .authenticate(new TokenCredentials(token))
                .recover(e -> Future.failedFuture(AuthFailure.invalid(reason(e))))
                .compose(user -> {
                    JsonObject claims = payload(token);
                    if (!(claims.getValue("exp") instanceof Number)) {
                        return Future.failedFuture(AuthFailure.invalid(
                                "token has no exp claim; Skein accepts only" + " tokens that expire"));
                    }
                    return Future.succeededFuture(claims);
                });
    }

    private JWTAuth build(List<JsonObject> fetched) {
        JWTAuthOptions options = new JWTAuthOptions()
                .setJWTOptions(new JWTOptions()
                        .setIssuer(settings.issuer())
                        .setAudience(settings.audiences())
                        .setLeeway((int) settings.leeway().toSeconds()));
        if (settings.hs256Secret() != null) {
            options.addPubSecKey(new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(settings.hs256Secret()));
        }
        List<JsonObject> keys = new ArrayList<>(fetched);
        if (settings.jwksFile() != null) {
            try {
                keys.addAll(keysOf(
                        Files.readString(settings.jwksFile()), "skein.auth.jwt.jwks-file " + settings.jwksFile()));
            } catch (IOException e) {
                throw new IllegalArgumentException(
                        "skein.auth.jwt.jwks-file " + settings.jwksFile() + " cannot be read: " + e.getMessage(), e);
            }
        }
        keys.forEach(options::addJwk);
        try {
            return JWTAuth.create(vertx, options);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the JWT keys cannot be used: " + e.getMessage(), e);
        }
    }

    private List<JsonObject> fetch() {
        String where = "skein.auth.jwt.jwks-url " + settings.jwksUrl();
        try (HttpClient client =
                HttpClient.newBuilder().connectTimeout(FETCH_TIMEOUT).build()) {
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(settings.jwksUrl())
                            .timeout(FETCH_TIMEOUT)
                            .GET()
                            .build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (response.statusCode() != 200) {
                throw new IllegalArgumentException(where + " answered HTTP " + response.statusCode());
            }
            return keysOf(response.body(), where);
        } catch (IOException e) {
            throw new IllegalArgumentException(where + " cannot be fetched: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalArgumentException(where + ": interrupted while fetching it", e);
        }
    }

    /** The signing keys of a JWKS document; encryption keys ({@code "use": "enc"}) are left out. */
    static List<JsonObject> keysOf(String document, String where) {
        JsonArray keys;
        try {
            keys = new JsonObject(document).getJsonArray("keys");
        } catch (DecodeException | ClassCastException e) {
            throw new IllegalArgumentException(where + " is not a JWKS document {\"keys\": [...]}: " + e.getMessage());
        }
        if (keys == null || keys.isEmpty()) {
            throw new IllegalArgumentException(where + " has no keys");
        }
        List<JsonObject> signing = new ArrayList<>();
        for (Object key : keys) {
            if (key instanceof JsonObject jwk && !"enc".equals(jwk.getString("use"))) {
                signing.add(jwk);
            }
        }
        return signing;
    }

    /** The token's claims; called once its signature has been verified. */
    private static JsonObject payload(String token) {
        String[] parts = token.split("\\.");
        return new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8));
    }

    /** What is wrong with a token, in words for its sender. */
    private static String reason(Throwable e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("\"none\"") || message.contains("not signed")) {
            return "unsigned tokens (alg none) are not accepted";
        } else if (message.contains("expired")) {
            return "token expired";
        } else if (message.contains("audien")) {
            return "token is not for this audience";
        } else if (message.contains("issuer")) {
            return "token is from another issuer";
        } else if (e instanceof SignatureException || message.contains("Signature verification")) {
            return "token signature does not verify";
        } else if (e.getClass().getSimpleName().equals("NoSuchKeyIdException")) {
            return "token is signed with a key or algorithm this server does not know";
        }
        int newline = message.indexOf('\n');
        return "invalid token: " + (newline < 0 ? message : message.substring(0, newline));
    }
}
