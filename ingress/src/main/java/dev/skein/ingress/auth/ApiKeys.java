package dev.skein.ingress.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The text of an API key, {@code skein_<id>_<secret>}: a 12-character id that names the key (in
 * the keys topic, in logs, to revoke it) and 32 random bytes in hex. Only the key's SHA-256 is
 * stored.
 *
 * <p>Why SHA-256 and not bcrypt or Argon2: those are slow on purpose, to make guessing a
 * low-entropy password expensive. A key here has 256 random bits; no speed of hashing makes
 * guessing it feasible, and a slow hash would cost every request tens of milliseconds of CPU. The
 * stored hash is compared in constant time ({@link MessageDigest#isEqual}).
 */
public final class ApiKeys {

    /** What every key starts with, so that a key is told from a JWT at a glance (and by secret scanners). */
    public static final String PREFIX = "skein_";

    private static final Pattern ID = Pattern.compile("[a-z0-9]{12}");
    private static final Pattern KEY = Pattern.compile("skein_([a-z0-9]{12})_([0-9a-f]{64})");
    private static final String ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {}

    /** A new key with a random id. */
    public static String generate() {
        StringBuilder id = new StringBuilder(12);
        for (int i = 0; i < 12; i++) {
            id.append(ID_ALPHABET.charAt(RANDOM.nextInt(ID_ALPHABET.length())));
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return PREFIX + id + "_" + HexFormat.of().formatHex(secret);
    }

    /** Whether {@code text} has the shape of a key (it may still be unknown or revoked). */
    public static boolean isKey(String text) {
        return text != null && KEY.matcher(text).matches();
    }

    /** The id of a key; {@code key} must be {@link #isKey a key}. */
    public static String idOf(String key) {
        var matcher = KEY.matcher(key);
        if (!matcher.matches()) {
            throw new IllegalArgumentException("not an API key: expected skein_<12 characters>_<64 hex digits>");
        }
        return matcher.group(1);
    }

    /** Whether {@code id} is a valid key id (12 of a-z 0-9). */
    public static boolean isId(String id) {
        return id != null && ID.matcher(id).matches();
    }

    /** Lower-case hex SHA-256 of the key's UTF-8 text: what is stored. */
    public static String sha256(String key) {
        return HexFormat.of().formatHex(digest(key));
    }

    /** Whether {@code key} hashes to {@code storedSha256}, compared in constant time. */
    public static boolean matches(String key, String storedSha256) {
        byte[] stored;
        try {
            stored = HexFormat.of().parseHex(storedSha256);
        } catch (IllegalArgumentException e) {
            return false;
        }
        return MessageDigest.isEqual(digest(key), stored);
    }

    private static byte[] digest(String key) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
