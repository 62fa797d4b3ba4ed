package dev.skein.ingress;

import dev.skein.events.PushNotificationConfig;
import dev.skein.schemas.ClientText;
import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * A push notification config of one task ({@code TaskPushNotificationConfig}), as stored on
 * {@code skein.a2a-push-configs}.
 */
record A2aPushConfig(
        String tenant,
        String taskId,
        String id,
        String url,
        String token,
        String authScheme,
        String authCredentials,
        long createdAtMs) {

    static final int MAX_URL = 2048;
    static final int MAX_TOKEN = 1024;
    static final int MAX_CREDENTIALS = 4096;

    /** The record's key: configs of one task are found by its prefix. */
    String key() {
        return tenant + "/" + taskId + "/" + id;
    }

    /**
     * Reads a {@code TaskPushNotificationConfig} a client sent for {@code taskId} (its URL is checked
     * separately, by {@link A2aWebhooks#check}).
     *
     * @throws A2aError invalid params
     */
    static A2aPushConfig parse(JsonObject config, String tenant, String taskId) {
        String named = A2aSendRequest.string(config, "taskId");
        if (named != null && !named.isEmpty() && !named.equals(taskId)) {
            throw A2aError.invalidParams(
                    "the config's taskId " + ClientText.quote(named) + " is not the task " + taskId);
        }
        String id = A2aSendRequest.string(config, "id");
        if (id == null || id.isEmpty()) {
            id = UUID.randomUUID().toString();
        } else if (!dev.skein.schemas.SessionAddress.isValidPart(id)) {
            throw A2aError.invalidParams("the config's id must be 1 to 128 of the characters A-Z a-z 0-9 . _ -");
        }
        String url = A2aSendRequest.string(config, "url");
        if (url == null || url.isBlank()) {
            throw A2aError.invalidParams("'url' is required: the webhook that gets the task's updates");
        }
        String token = bounded(config, "token", MAX_TOKEN);
        JsonObject auth = A2aSendRequest.object(config, "authentication", false);
        String scheme = null;
        String credentials = null;
        if (auth != null) {
            scheme = A2aSendRequest.string(auth, "scheme");
            // An HTTP auth scheme is a token (RFC 9110, section 11.1): it goes in a header as it is.
            if (scheme == null || !scheme.matches("[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}")) {
                throw A2aError.invalidParams(
                        "authentication.scheme must be an HTTP authentication scheme such as" + " Bearer or Basic");
            }
            credentials = bounded(auth, "credentials", MAX_CREDENTIALS);
        }
        if (url.length() > MAX_URL) {
            throw A2aError.invalidParams("'url' is " + url.length() + " characters; the limit is " + MAX_URL);
        }
        return new A2aPushConfig(tenant, taskId, id, url, token, scheme, credentials, System.currentTimeMillis());
    }

    private static String bounded(JsonObject parent, String field, int max) {
        String value = A2aSendRequest.string(parent, field);
        if (value == null || value.isEmpty()) {
            return null;
        }
        if (value.length() > max || value.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw A2aError.invalidParams(
                    "'" + field + "' must be at most " + max + " printable characters (it goes in a header)");
        }
        return value;
    }

    /**
     * The config as the API shows it. The credentials are write-only: a reader of the task sees
     * that there are some, never what they are.
     */
    JsonObject json() {
        JsonObject json = new JsonObject().put("id", id).put("taskId", taskId).put("url", url);
        if (token != null) {
            json.put("token", token);
        }
        if (authScheme != null) {
            json.put("authentication", new JsonObject().put("scheme", authScheme));
        }
        return json;
    }

    PushNotificationConfig toAvro() {
        return PushNotificationConfig.newBuilder()
                .setTenant(tenant)
                .setTaskId(taskId)
                .setId(id)
                .setUrl(url)
                .setToken(token)
                .setAuthScheme(authScheme)
                .setAuthCredentials(authCredentials)
                .setCreatedAtMs(createdAtMs)
                .build();
    }

    static A2aPushConfig of(PushNotificationConfig avro) {
        return new A2aPushConfig(
                avro.getTenant(),
                avro.getTaskId(),
                avro.getId(),
                avro.getUrl(),
                avro.getToken(),
                avro.getAuthScheme(),
                avro.getAuthCredentials(),
                avro.getCreatedAtMs());
    }
}
