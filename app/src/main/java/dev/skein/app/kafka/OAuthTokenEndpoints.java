package dev.skein.app.kafka;

import dev.skein.schemas.kafka.KafkaConnection;
import java.util.List;
import org.apache.kafka.common.config.SaslConfigs;

/**
 * Kafka (since 4.0) refuses OAuth token endpoints that the JVM property
 * {@code org.apache.kafka.sasl.oauthbearer.allowed.urls} does not list: a guard against endpoints
 * named by untrusted configuration. Skein's endpoint comes from its operator, so it is added.
 */
public final class OAuthTokenEndpoints {

    private static final String ALLOWED_TOKEN_URLS = "org.apache.kafka.sasl.oauthbearer.allowed.urls";

    private OAuthTokenEndpoints() {}

    /** Adds the connection's token endpoint, if it has one, to the JVM's allowed list. */
    public static void allow(KafkaConnection connection) {
        String endpoint = connection.settings().get(SaslConfigs.SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL);
        if (endpoint == null) {
            return;
        }
        String allowed = System.getProperty(ALLOWED_TOKEN_URLS, "");
        if (!List.of(allowed.split(",")).contains(endpoint)) {
            System.setProperty(ALLOWED_TOKEN_URLS, allowed.isBlank() ? endpoint : allowed + "," + endpoint);
        }
    }
}
