package dev.skein.ingress.auth;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.JWTOptions;
import io.vertx.ext.auth.PubSecKeyOptions;
import io.vertx.ext.auth.jwt.JWTAuth;
import io.vertx.ext.auth.jwt.JWTAuthOptions;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Tokens signed in the test: HS256 with a shared secret, RS256 and ES256 with key pairs made here,
 * whose public halves go into a JWKS file. Signed with Vert.x's own signer; the unsigned token is
 * written by hand.
 */
public final class TestTokens {

    public static final String ISSUER = "https://idp.example.test";
    public static final String AUDIENCE = "skein-api";
    public static final String SECRET = "a-test-secret-that-is-long-enough-for-hs256-0123456789";

    private final KeyPair rsa;
    private final KeyPair ec;
    private final JWTAuth hs256Signer;
    private final JWTAuth rs256Signer;
    private final JWTAuth es256Signer;
    private final JWTAuth strangerSigner;
    private final JWTAuth confusedSigner;

    public TestTokens(Vertx vertx) {
        try {
            KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
            rsaGenerator.initialize(2048);
            rsa = rsaGenerator.generateKeyPair();
            KeyPairGenerator ecGenerator = KeyPairGenerator.getInstance("EC");
            ecGenerator.initialize(new ECGenParameterSpec("secp256r1"));
            ec = ecGenerator.generateKeyPair();
            KeyPair stranger = rsaGenerator.generateKeyPair();
            hs256Signer =
                    signer(vertx, new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(SECRET));
            rs256Signer = signer(vertx, privatePem("RS256", rsa));
            es256Signer = signer(vertx, privatePem("ES256", ec));
            strangerSigner = signer(vertx, privatePem("RS256", stranger));
            String publicPem = "-----BEGIN PUBLIC KEY-----\n"
                    + Base64.getMimeEncoder().encodeToString(rsa.getPublic().getEncoded())
                    + "\n-----END PUBLIC KEY-----\n";
            confusedSigner =
                    signer(vertx, new PubSecKeyOptions().setAlgorithm("HS256").setBuffer(publicPem));
        } catch (NoSuchAlgorithmException | java.security.InvalidAlgorithmParameterException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Settings that accept what this class signs: the HS256 secret and the JWKS at {@code jwks}. */
    public static JwtSettings settings(Path jwks) {
        return new JwtSettings(
                ISSUER, List.of(AUDIENCE), SECRET, jwks, null, Duration.ofMinutes(5), "tenant", "roles", Duration.ZERO);
    }

    /** Writes the public RS256 and ES256 keys as a JWKS document, with an encryption key that must be skipped. */
    public Path writeJwks(Path file) throws IOException {
        RSAPublicKey rsaPublic = (RSAPublicKey) rsa.getPublic();
        ECPublicKey ecPublic = (ECPublicKey) ec.getPublic();
        JsonObject jwks = new JsonObject()
                .put(
                        "keys",
                        new JsonArray()
                                .add(new JsonObject()
                                        .put("kty", "RSA")
                                        .put("alg", "RS256")
                                        .put("use", "sig")
                                        .put("kid", "rsa-1")
                                        .put("n", unsigned(rsaPublic.getModulus(), 256))
                                        .put("e", unsigned(rsaPublic.getPublicExponent(), 0)))
                                .add(new JsonObject()
                                        .put("kty", "EC")
                                        .put("alg", "ES256")
                                        .put("use", "sig")
                                        .put("kid", "ec-1")
                                        .put("crv", "P-256")
                                        .put("x", unsigned(ecPublic.getW().getAffineX(), 32))
                                        .put("y", unsigned(ecPublic.getW().getAffineY(), 32)))
                                .add(new JsonObject()
                                        .put("kty", "RSA")
                                        .put("use", "enc")
                                        .put("n", unsigned(rsaPublic.getModulus(), 256))
                                        .put("e", unsigned(rsaPublic.getPublicExponent(), 0))));
        Files.writeString(file, jwks.encodePrettily());
        return file;
    }

    /** Claims that pass: this issuer and audience, expiring in an hour. */
    public static JsonObject claims(String tenant, String... roles) {
        JsonObject claims = new JsonObject()
                .put("iss", ISSUER)
                .put("aud", AUDIENCE)
                .put("sub", "someone@" + tenant)
                .put("exp", System.currentTimeMillis() / 1000 + 3600);
        if (tenant != null) {
            claims.put("tenant", tenant);
        }
        if (roles.length > 0) {
            claims.put("roles", new JsonArray(Arrays.asList((Object[]) roles)));
        }
        return claims;
    }

    public String hs256(JsonObject claims) {
        return hs256Signer.generateToken(claims, new JWTOptions().setAlgorithm("HS256"));
    }

    public String rs256(JsonObject claims) {
        return rs256Signer.generateToken(claims, new JWTOptions().setAlgorithm("RS256"));
    }

    public String es256(JsonObject claims) {
        return es256Signer.generateToken(claims, new JWTOptions().setAlgorithm("ES256"));
    }

    /** HS256 with the RSA public key's PEM as the secret: what a confused verifier would accept. */
    public String hs256WithPublicRsaKey(JsonObject claims) {
        return confusedSigner.generateToken(claims, new JWTOptions().setAlgorithm("HS256"));
    }

    /** RS256, by a key no JWKS holds. */
    public String rs256ByStranger(JsonObject claims) {
        return strangerSigner.generateToken(claims, new JWTOptions().setAlgorithm("RS256"));
    }

    /** {@code alg: none}, with an empty signature or none at all. */
    public static String unsigned(JsonObject claims, boolean trailingDot) {
        Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
        String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        String payload = b64.encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
        return header + "." + payload + (trailingDot ? "." : "");
    }

    /** A valid token whose payload is replaced after signing. */
    public static String tampered(String token, JsonObject claims) {
        String[] parts = token.split("\\.");
        String payload = Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(claims.encode().getBytes(StandardCharsets.UTF_8));
        return parts[0] + "." + payload + "." + parts[2];
    }

    private static JWTAuth signer(Vertx vertx, PubSecKeyOptions key) {
        return JWTAuth.create(vertx, new JWTAuthOptions().addPubSecKey(key));
    }

    private static PubSecKeyOptions privatePem(String algorithm, KeyPair pair) {
        String pem = "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder().encodeToString(pair.getPrivate().getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
        return new PubSecKeyOptions().setAlgorithm(algorithm).setBuffer(pem);
    }

    /** Base64url of a positive integer, big-endian without a sign byte, left-padded to {@code length} bytes. */
    private static String unsigned(BigInteger value, int length) {
        byte[] bytes = value.toByteArray();
        if (bytes.length > 1 && bytes[0] == 0) {
            bytes = Arrays.copyOfRange(bytes, 1, bytes.length);
        }
        if (bytes.length < length) {
            byte[] padded = new byte[length];
            System.arraycopy(bytes, 0, padded, length - bytes.length, bytes.length);
            bytes = padded;
        }
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
