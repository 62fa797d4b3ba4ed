package dev.skein.app.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * Reads {@code skein.kafka.security} and {@code skein.kafka.client-properties} into the client
 * properties that every Kafka client of the process takes. Inconsistent settings (a SASL mechanism
 * without credentials, TLS files with a plaintext protocol, a truststore that cannot be read) fail
 * naming the key; no message carries a secret's value. They need a cluster of their own
 * ({@code skein.kafka.bootstrap-servers}): the embedded broker of {@code skein up} is plaintext.
 */
final class KafkaSecurityReader {

    static final String SECURITY = "skein.kafka.security";
    static final String SASL = SECURITY + ".sasl";
    static final String OAUTH = SASL + ".oauthbearer";
    static final String TLS = SECURITY + ".tls";
    static final String CLIENT_PROPERTIES = "skein.kafka.client-properties";

    private static final List<String> PROTOCOLS = List.of("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL");
    private static final List<String> MECHANISMS = List.of("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "OAUTHBEARER");
    private static final String PLAIN_MODULE = "org.apache.kafka.common.security.plain.PlainLoginModule";
    private static final String SCRAM_MODULE = "org.apache.kafka.common.security.scram.ScramLoginModule";
    private static final String OAUTH_MODULE = "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginModule";
    // Kafka's default login handler for OAUTHBEARER makes unsecured tokens; this one asks the endpoint.
    private static final String OAUTH_LOGIN_HANDLER =
            "org.apache.kafka.common.security.oauthbearer.OAuthBearerLoginCallbackHandler";

    private KafkaSecurityReader() {}

    /** The client properties, security first and then the pass-through ones (which win); empty for PLAINTEXT. */
    static Map<String, String> read(Config config) {
        Map<String, String> settings = new LinkedHashMap<>();
        String protocol = protocol(config);
        boolean sasl = protocol.startsWith("SASL_");
        boolean tls = protocol.equals("SSL") || protocol.equals("SASL_SSL");
        if (!protocol.equals("PLAINTEXT")) {
            settings.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, protocol);
        }
        if (sasl) {
            sasl(config, settings);
        } else {
            refuseSet(
                    config,
                    SASL,
                    "is set but " + SECURITY + ".protocol is " + protocol + ": use SASL_SSL or SASL_PLAINTEXT");
        }
        if (tls) {
            tls(config, settings);
        } else {
            refuseSet(config, TLS, "is set but " + SECURITY + ".protocol is " + protocol + ": use SSL or SASL_SSL");
        }
        settings.putAll(clientProperties(config));
        if (!settings.isEmpty()
                && config.getString("skein.kafka.bootstrap-servers").isBlank()) {
            throw new ConfigException.BadValue(
                    "skein.kafka.bootstrap-servers",
                    "Kafka client settings are configured (" + SECURITY + " or " + CLIENT_PROPERTIES
                            + ") but no cluster: the embedded broker takes plaintext clients only");
        }
        return settings;
    }

    private static String protocol(Config config) {
        String protocol = config.getString(SECURITY + ".protocol").trim().toUpperCase(Locale.ROOT);
        if (!PROTOCOLS.contains(protocol)) {
            throw new ConfigException.BadValue(SECURITY + ".protocol", "must be one of " + PROTOCOLS);
        }
        return protocol;
    }

    private static void sasl(Config config, Map<String, String> settings) {
        String mechanism = text(config, SASL + ".mechanism").toUpperCase(Locale.ROOT);
        String jaas = text(config, SASL + ".jaas-config");
        String username = text(config, SASL + ".username");
        String password = text(config, SASL + ".password");
        if (mechanism.isEmpty()) {
            throw new ConfigException.BadValue(
                    SASL + ".mechanism", "a SASL protocol needs a mechanism: one of " + MECHANISMS);
        }
        if (!MECHANISMS.contains(mechanism) && jaas.isEmpty()) {
            throw new ConfigException.BadValue(
                    SASL + ".mechanism",
                    "'" + mechanism + "' is none of " + MECHANISMS + "; another mechanism needs " + SASL
                            + ".jaas-config");
        }
        if (!jaas.isEmpty() && (!username.isEmpty() || !password.isEmpty())) {
            throw new ConfigException.BadValue(
                    SASL + ".jaas-config", "give either jaas-config or username and password, not both");
        }
        settings.put(SaslConfigs.SASL_MECHANISM, mechanism);
        if (mechanism.equals("OAUTHBEARER")) {
            oauthBearer(config, settings, jaas);
            return;
        }
        refuseSet(config, OAUTH, "is set but " + SASL + ".mechanism is " + mechanism + ", not OAUTHBEARER");
        if (jaas.isEmpty()) {
            if (username.isEmpty() || password.isEmpty()) {
                throw new ConfigException.BadValue(
                        username.isEmpty() ? SASL + ".username" : SASL + ".password",
                        mechanism + " needs a username and a password (or " + SASL + ".jaas-config)");
            }
            String module = mechanism.equals("PLAIN") ? PLAIN_MODULE : SCRAM_MODULE;
            jaas = module + " required username=" + quoted(username) + " password=" + quoted(password) + ";";
        }
        settings.put(SaslConfigs.SASL_JAAS_CONFIG, jaas);
    }

    private static void oauthBearer(Config config, Map<String, String> settings, String jaas) {
        if (!text(config, SASL + ".username").isEmpty()
                || !text(config, SASL + ".password").isEmpty()) {
            throw new ConfigException.BadValue(
                    SASL + ".username", "OAUTHBEARER takes no username or password: set " + OAUTH + ".client-id");
        }
        String endpoint = text(config, OAUTH + ".token-endpoint-url");
        String clientId = text(config, OAUTH + ".client-id");
        String clientSecret = text(config, OAUTH + ".client-secret");
        String scope = text(config, OAUTH + ".scope");
        if (jaas.isEmpty()) {
            if (endpoint.isEmpty()) {
                throw new ConfigException.BadValue(
                        OAUTH + ".token-endpoint-url",
                        "OAUTHBEARER needs the identity provider's token endpoint (or a file:// URL of a token)");
            }
            boolean http = endpoint.startsWith("https://") || endpoint.startsWith("http://");
            if (http && (clientId.isEmpty() || clientSecret.isEmpty())) {
                throw new ConfigException.BadValue(
                        clientId.isEmpty() ? OAUTH + ".client-id" : OAUTH + ".client-secret",
                        "a token endpoint needs a client id and a client secret");
            }
            jaas = OAUTH_MODULE + " required ;";
        }
        settings.put(SaslConfigs.SASL_JAAS_CONFIG, jaas);
        if (!endpoint.isEmpty()) {
            settings.put(SaslConfigs.SASL_LOGIN_CALLBACK_HANDLER_CLASS, OAUTH_LOGIN_HANDLER);
            settings.put(SaslConfigs.SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL, endpoint);
        }
        putIfSet(settings, SaslConfigs.SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_ID, clientId);
        putIfSet(settings, SaslConfigs.SASL_OAUTHBEARER_CLIENT_CREDENTIALS_CLIENT_SECRET, clientSecret);
        putIfSet(settings, SaslConfigs.SASL_OAUTHBEARER_SCOPE, scope);
    }

    private static void tls(Config config, Map<String, String> settings) {
        String truststore = readableFile(config, TLS + ".truststore-location");
        String truststoreType = storeType(config, TLS + ".truststore-type", truststore);
        String truststorePassword = text(config, TLS + ".truststore-password");
        if (truststoreType.equals("PEM") && !truststorePassword.isEmpty()) {
            throw new ConfigException.BadValue(TLS + ".truststore-password", "a PEM truststore takes no password");
        }
        putIfSet(settings, SslConfigs.SSL_TRUSTSTORE_LOCATION_CONFIG, truststore);
        putIfSet(settings, SslConfigs.SSL_TRUSTSTORE_TYPE_CONFIG, truststoreType);
        putIfSet(settings, SslConfigs.SSL_TRUSTSTORE_PASSWORD_CONFIG, truststorePassword);

        String keystore = readableFile(config, TLS + ".keystore-location");
        String keystoreType = storeType(config, TLS + ".keystore-type", keystore);
        String keystorePassword = text(config, TLS + ".keystore-password");
        String keyPassword = text(config, TLS + ".key-password");
        if (keystore.isEmpty() && !(keystorePassword + keyPassword).isEmpty()) {
            throw new ConfigException.BadValue(
                    TLS + ".keystore-location", "a keystore password is set but no keystore (the client certificate)");
        }
        if (!keystore.isEmpty() && !keystoreType.equals("PEM") && keystorePassword.isEmpty()) {
            throw new ConfigException.BadValue(
                    TLS + ".keystore-password", "a " + keystoreType + " keystore needs its password");
        }
        putIfSet(settings, SslConfigs.SSL_KEYSTORE_LOCATION_CONFIG, keystore);
        putIfSet(settings, SslConfigs.SSL_KEYSTORE_TYPE_CONFIG, keystoreType);
        putIfSet(settings, SslConfigs.SSL_KEYSTORE_PASSWORD_CONFIG, keystorePassword);
        putIfSet(settings, SslConfigs.SSL_KEY_PASSWORD_CONFIG, keyPassword);
        if (!config.getBoolean(TLS + ".hostname-verification")) {
            // Kafka's way to skip the check that the certificate names the broker's host.
            settings.put(SslConfigs.SSL_ENDPOINT_IDENTIFICATION_ALGORITHM_CONFIG, "");
        }
    }

    /** The given type, or PEM for a .pem or .crt file; empty leaves Kafka's default (JKS, which reads PKCS12 too). */
    private static String storeType(Config config, String key, String location) {
        String type = text(config, key).toUpperCase(Locale.ROOT);
        if (!type.isEmpty() && !List.of("JKS", "PKCS12", "PEM").contains(type)) {
            throw new ConfigException.BadValue(key, "must be JKS, PKCS12 or PEM");
        }
        String lower = location.toLowerCase(Locale.ROOT);
        if (type.isEmpty() && (lower.endsWith(".pem") || lower.endsWith(".crt"))) {
            return "PEM";
        }
        if (type.isEmpty() && (lower.endsWith(".p12") || lower.endsWith(".pfx"))) {
            return "PKCS12";
        }
        return type;
    }

    private static String readableFile(Config config, String key) {
        String location = text(config, key);
        if (!location.isEmpty() && !Files.isReadable(Path.of(location))) {
            throw new ConfigException.BadValue(key, "'" + location + "' is not a readable file");
        }
        return location;
    }

    /** {@code skein.kafka.client-properties}, dotted keys joined as in skein.streams.properties. */
    static Map<String, String> clientProperties(Config config) {
        Map<String, String> result = new LinkedHashMap<>();
        for (Map.Entry<String, ConfigValue> entry :
                config.getConfig(CLIENT_PROPERTIES).entrySet()) {
            String key = String.join(".", ConfigUtil.splitPath(entry.getKey()));
            if (key.equals(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
                throw new ConfigException.BadValue(
                        CLIENT_PROPERTIES + ".\"" + key + "\"", "set skein.kafka.bootstrap-servers instead");
            }
            result.put(key, String.valueOf(entry.getValue().unwrapped()));
        }
        return result;
    }

    /** Fails when any string under {@code path} is non-empty (a setting that the protocol would ignore). */
    private static void refuseSet(Config config, String path, String why) {
        for (Map.Entry<String, ConfigValue> entry : config.getConfig(path).entrySet()) {
            Object value = entry.getValue().unwrapped();
            if (value instanceof String text && !text.isBlank()) {
                throw new ConfigException.BadValue(path + "." + entry.getKey(), why);
            }
        }
    }

    private static String text(Config config, String key) {
        return config.getString(key).trim();
    }

    private static void putIfSet(Map<String, String> settings, String key, String value) {
        if (!value.isEmpty()) {
            settings.put(key, value);
        }
    }

    /** A JAAS option value: double quotes, with backslash and quote escaped as the JAAS parser reads them. */
    static String quoted(String value) {
        return '"' + value.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}
