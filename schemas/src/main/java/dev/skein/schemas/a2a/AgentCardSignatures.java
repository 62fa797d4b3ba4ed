package dev.skein.schemas.a2a;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.nimbusds.jose.Algorithm;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.factories.DefaultJWSVerifierFactory;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.util.Base64URL;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.erdtman.jcs.JsonCanonicalizer;

/**
 * Signed A2A 1.0 agent cards (section 8.4): a JWS (RFC 7515, detached payload, protected header
 * {@code alg}, {@code typ: JOSE}, {@code kid}) over the card without its {@code signatures} and
 * without fields at their default value (false, 0, "", []), in the JSON Canonicalization Scheme
 * (RFC 8785). One class for both sides, so that the server that signs and the adapter that
 * verifies canonicalize alike. The JWS is nimbus-jose-jwt's; the canonical form is erdtman's
 * reference implementation of RFC 8785.
 */
public final class AgentCardSignatures {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern PEM =
            Pattern.compile("-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private AgentCardSignatures() {}

    /** A card's signature could not be checked or did not match: the message says which and why. */
    public static final class InvalidSignature extends Exception {
        public InvalidSignature(String message) {
            super(message);
        }
    }

    /** What is signed: the card without {@code signatures} and default values, in RFC 8785 form. */
    public static byte[] payload(String cardJson) throws IOException {
        JsonNode card = JSON.readTree(cardJson);
        if (!(card instanceof ObjectNode object)) {
            throw new IOException("an agent card is a JSON object");
        }
        ObjectNode copy = object.deepCopy();
        copy.remove("signatures");
        withoutDefaults(copy);
        return new JsonCanonicalizer(JSON.writeValueAsString(copy)).getEncodedUTF8();
    }

    /** {@code cardJson} with one signature by {@code key} as its {@code signatures} (any earlier ones replaced). */
    public static String sign(String cardJson, JWK key) throws IOException, JOSEException {
        JWSAlgorithm algorithm = algorithm(key);
        JWSHeader header = new JWSHeader.Builder(algorithm)
                .type(JOSEObjectType.JOSE)
                .keyID(
                        key.getKeyID() != null
                                ? key.getKeyID()
                                : key.computeThumbprint().toString())
                .build();
        JWSObject jws = new JWSObject(header, new Payload(payload(cardJson)));
        jws.sign(signer(key));
        ObjectNode card = (ObjectNode) JSON.readTree(cardJson);
        ArrayNode signatures = card.putArray("signatures");
        signatures
                .addObject()
                .put("protected", jws.getHeader().toBase64URL().toString())
                .put("signature", jws.getSignature().toString());
        return JSON.writeValueAsString(card);
    }

    /**
     * Checks that at least one of the card's signatures is by one of {@code trusted} and matches the
     * card as it is.
     *
     * @throws InvalidSignature naming why none does: no signatures, no trusted key, a mismatch
     */
    public static void verify(String cardJson, List<JWK> trusted) throws InvalidSignature {
        JsonNode card;
        byte[] payload;
        try {
            card = JSON.readTree(cardJson);
            payload = payload(cardJson);
        } catch (IOException e) {
            throw new InvalidSignature("the card is not a JSON object: " + e.getMessage());
        }
        JsonNode signatures = card.path("signatures");
        if (!signatures.isArray() || signatures.isEmpty()) {
            throw new InvalidSignature("the card carries no signatures");
        }
        List<String> problems = new ArrayList<>();
        for (JsonNode signature : signatures) {
            try {
                JWSHeader header = JWSHeader.parse(
                        new Base64URL(signature.path("protected").asText()));
                for (JWK key : trusted) {
                    boolean named =
                            header.getKeyID() == null || header.getKeyID().equals(key.getKeyID());
                    if (!named || !compatible(header.getAlgorithm(), key)) {
                        continue;
                    }
                    JWSObject jws = new JWSObject(
                            header.toBase64URL(),
                            new Payload(payload),
                            new Base64URL(signature.path("signature").asText()));
                    if (jws.verify(verifier(header, key))) {
                        return;
                    }
                    problems.add("the signature by key " + key.getKeyID() + " does not match the card");
                }
                if (problems.isEmpty()) {
                    problems.add("a signature by key '" + header.getKeyID() + "' (" + header.getAlgorithm()
                            + "), which is not among the trusted keys");
                }
            } catch (ParseException | JOSEException | IllegalStateException e) {
                problems.add("an unreadable signature: " + e.getMessage());
            }
        }
        throw new InvalidSignature(String.join("; ", problems));
    }

    /**
     * A private signing key from a file: a JWK (JSON, with its private part) or PEM PKCS#8 (RSA;
     * for EC, followed by its {@code PUBLIC KEY} block, since a PKCS#8 EC key need not hold it).
     */
    public static JWK readPrivateKey(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8).trim();
        try {
            JWK key;
            if (text.startsWith("{")) {
                key = JWK.parse(text);
            } else {
                key = fromPem(text);
            }
            if (!key.isPrivate()) {
                throw new IOException(file + " holds a public key; signing needs the private one");
            }
            algorithm(key);
            return key.getKeyID() != null
                    ? key
                    : withKid(key, key.computeThumbprint().toString());
        } catch (ParseException | JOSEException | java.security.GeneralSecurityException | IllegalArgumentException e) {
            throw new IOException(
                    file + " is not a private key this server can sign with (a JWK, or PEM PKCS#8 RSA"
                            + " or EC P-256/384/521 with its public key): " + e.getMessage(),
                    e);
        }
    }

    /** Public keys that a card may be signed by: a JWK set, one JWK, or a PEM {@code PUBLIC KEY}. */
    public static List<JWK> readPublicKeys(Path file) throws IOException {
        String text = Files.readString(file, StandardCharsets.UTF_8).trim();
        try {
            if (text.startsWith("{")) {
                JsonNode node = JSON.readTree(text);
                List<JWK> keys = node.has("keys") ? JWKSet.parse(text).getKeys() : List.of(JWK.parse(text));
                return keys.stream().map(JWK::toPublicJWK).toList();
            }
            return List.of(publicFromPem(text));
        } catch (ParseException | java.security.GeneralSecurityException | IllegalArgumentException | JOSEException e) {
            throw new IOException(
                    file + " holds no public key (a JWK set, a JWK or a PEM PUBLIC KEY): " + e.getMessage(), e);
        }
    }

    private static JWK fromPem(String text) throws java.security.GeneralSecurityException, JOSEException {
        byte[] privateDer = null;
        JWK publicKey = null;
        Matcher blocks = PEM.matcher(text);
        while (blocks.find()) {
            byte[] der = Base64.getMimeDecoder().decode(blocks.group(2));
            switch (blocks.group(1)) {
                case "PRIVATE KEY" -> privateDer = der;
                case "PUBLIC KEY" -> publicKey = publicFromDer(der);
                default -> throw new IllegalArgumentException("unexpected PEM block " + blocks.group(1));
            }
        }
        if (privateDer == null) {
            throw new IllegalArgumentException("no PEM PRIVATE KEY block");
        }
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(privateDer);
        try {
            RSAPrivateCrtKey rsa =
                    (RSAPrivateCrtKey) KeyFactory.getInstance("RSA").generatePrivate(spec);
            RSAPublicKey pub = (RSAPublicKey) KeyFactory.getInstance("RSA")
                    .generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
            return new RSAKey.Builder(pub).privateKey(rsa).build();
        } catch (java.security.spec.InvalidKeySpecException notRsa) {
            if (!(publicKey instanceof ECKey ec)) {
                throw new IllegalArgumentException("an EC private key needs its PUBLIC KEY block after it");
            }
            return new ECKey.Builder(ec)
                    .privateKey(KeyFactory.getInstance("EC").generatePrivate(spec))
                    .build();
        }
    }

    private static JWK publicFromPem(String text) throws java.security.GeneralSecurityException, JOSEException {
        Matcher blocks = PEM.matcher(text);
        while (blocks.find()) {
            if (blocks.group(1).equals("PUBLIC KEY")) {
                JWK key = publicFromDer(Base64.getMimeDecoder().decode(blocks.group(2)));
                return withKid(key, key.computeThumbprint().toString());
            }
        }
        throw new IllegalArgumentException("no PEM PUBLIC KEY block");
    }

    private static JWK publicFromDer(byte[] der) throws java.security.GeneralSecurityException {
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        try {
            return new RSAKey.Builder(
                            (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(spec))
                    .build();
        } catch (java.security.spec.InvalidKeySpecException notRsa) {
            ECPublicKey ec = (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(spec);
            return new ECKey.Builder(Curve.forECParameterSpec(ec.getParams()), ec).build();
        }
    }

    private static JWK withKid(JWK key, String kid) {
        return switch (key) {
            case ECKey ec -> new ECKey.Builder(ec).keyID(kid).build();
            case RSAKey rsa -> new RSAKey.Builder(rsa).keyID(kid).build();
            default -> key;
        };
    }

    private static JWSAlgorithm algorithm(JWK key) {
        if (key instanceof ECKey ec) {
            if (Curve.P_256.equals(ec.getCurve())) {
                return JWSAlgorithm.ES256;
            }
            if (Curve.P_384.equals(ec.getCurve())) {
                return JWSAlgorithm.ES384;
            }
            if (Curve.P_521.equals(ec.getCurve())) {
                return JWSAlgorithm.ES512;
            }
        }
        if (key instanceof RSAKey) {
            return JWSAlgorithm.RS256;
        }
        throw new IllegalArgumentException(
                "keys of type " + key.getKeyType() + " " + (key instanceof ECKey ec ? ec.getCurve() : "")
                        + " cannot sign cards here: use EC P-256/384/521 or RSA");
    }

    private static boolean compatible(Algorithm algorithm, JWK key) {
        return (key instanceof ECKey && JWSAlgorithm.Family.EC.contains(algorithm))
                || (key instanceof RSAKey && JWSAlgorithm.Family.RSA.contains(algorithm));
    }

    private static JWSSigner signer(JWK key) throws JOSEException {
        return key instanceof ECKey ec ? new ECDSASigner(ec) : new RSASSASigner((RSAKey) key);
    }

    private static JWSVerifier verifier(JWSHeader header, JWK key) throws JOSEException {
        java.security.PublicKey publicKey =
                key instanceof ECKey ec ? ec.toECPublicKey() : ((RSAKey) key).toRSAPublicKey();
        return new DefaultJWSVerifierFactory().createJWSVerifier(header, publicKey);
    }

    /** ProtoJSON leaves fields at their default value out: the signed form must not depend on whether a writer did. */
    private static void withoutDefaults(JsonNode node) {
        if (node instanceof ObjectNode object) {
            Iterator<java.util.Map.Entry<String, JsonNode>> fields = object.fields();
            while (fields.hasNext()) {
                JsonNode value = fields.next().getValue();
                withoutDefaults(value);
                boolean atDefault = (value.isBoolean() && !value.booleanValue())
                        || (value.isNumber() && value.doubleValue() == 0)
                        || (value.isTextual() && value.textValue().isEmpty())
                        || (value.isArray() && value.isEmpty())
                        || value.isNull();
                if (atDefault) {
                    fields.remove();
                }
            }
        } else if (node instanceof ArrayNode array) {
            array.forEach(AgentCardSignatures::withoutDefaults);
        }
    }
}
