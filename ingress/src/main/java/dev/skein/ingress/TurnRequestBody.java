package dev.skein.ingress;

import dev.skein.events.DoubleTexting;
import dev.skein.events.TurnRequested;
import dev.skein.schemas.ClientText;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.TenantAccess;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.UUID;

/**
 * Parses the body of a turn, {@code {"message": "...", "agent"?: "...", "turnId"?: "...",
 * "timeoutMs"?: n, "doubleTexting"?: "enqueue|reject|interrupt|rollback", "sticky"?: bool}}, from
 * HTTP and WebSocket alike so that both accept exactly the same input.
 */
final class TurnRequestBody {

    private static final Set<String> FIELDS =
            Set.of("message", "agent", "turnId", "timeoutMs", "doubleTexting", "sticky", "user");

    private TurnRequestBody() {}

    /**
     * @throws HttpFailure 400 for anything malformed, 413 when the message exceeds
     *                     {@code maxMessageBytes}
     */
    static TurnRequested parse(String text, SessionAddress address, int maxMessageBytes, long nowMs) {
        JsonObject body = jsonObject(text);
        for (String field : body.fieldNames()) {
            if (!FIELDS.contains(field)) {
                // Rejected rather than ignored: a misspelt "mesage" would otherwise become a
                // confusing "message is missing", and a misspelt "agent" would silently be dropped.
                throw HttpFailure.badRequest("unknown field " + ClientText.quote(field)
                        + "; a turn has the fields message, agent, turnId, timeoutMs, doubleTexting, sticky");
            }
        }
        String message = message(body, maxMessageBytes);
        String agent = optionalString(body, "agent");
        String turnId = optionalString(body, "turnId");
        if (turnId == null) {
            turnId = UUID.randomUUID().toString();
        } else if (!SessionAddress.isValidPart(turnId)) {
            throw HttpFailure.badRequest("turnId " + ClientText.quote(turnId)
                    + " is invalid: use 1 to 128 of the characters A-Z a-z 0-9 . _ -");
        }
        DoubleTexting policy = doubleTexting(body);
        boolean sticky = sticky(body, policy);
        String user = optionalString(body, "user");
        if (user != null && !SessionAddress.isValidPart(user)) {
            throw HttpFailure.badRequest(
                    "user " + ClientText.quote(user) + " is invalid: use 1 to 128 of the characters A-Z a-z 0-9 . _ -");
        }
        return TurnRequested.newBuilder()
                .setTenant(address.tenant())
                .setSessionId(address.sessionId())
                .setTurnId(turnId)
                .setMessage(message)
                .setAgent(agent)
                .setTimeoutMs(timeoutMs(body))
                .setDoubleTexting(policy)
                .setStickyDoubleTexting(sticky)
                .setRequestedAtMs(nowMs)
                .setUserId(user)
                .build();
    }

    /**
     * Sets the turn's user from the credential: a token's {@code sub} is the user, and a body that
     * names another is refused (a user cannot read another's memories). A tenant's API key (or no
     * authentication) already acts for the whole tenant, so the user the body names is taken as it is,
     * for a backend that serves many users with one key; none means the tenant's shared memory.
     *
     * @throws HttpFailure 403 when a token's turn names a user other than its subject, or its
     *     subject cannot be a user ({@link MemoryEndpoint#tokenUser})
     */
    static TurnRequested bindUser(TurnRequested turn, dev.skein.ingress.auth.Caller caller) {
        if (caller.credential() == dev.skein.ingress.auth.Caller.Credential.JWT) {
            MemoryEndpoint.tokenUser(caller);
            if (turn.getUserId() != null && !turn.getUserId().equals(caller.subject())) {
                throw new HttpFailure(
                        403,
                        "this token is for user " + ClientText.quote(caller.subject())
                                + "; a turn may not name another");
            }
            turn.setUserId(caller.subject());
        }
        return turn;
    }

    /**
     * @throws HttpFailure 403 when the turn names an agent its tenant may not use ({@code skein.tenants}); a
     *                     turn that names none gets the session's agent, which the topology checks
     */
    static void requireAllowedAgent(TenantAccess access, TurnRequested turn) {
        TenantAccess.Rules rules = access.of(turn.getTenant());
        if (turn.getAgent() != null && !rules.allowsAgent(turn.getAgent())) {
            throw new HttpFailure(
                    403,
                    "agent " + ClientText.quote(turn.getAgent()) + " is not available to this tenant; it may use "
                            + rules.describeAgents());
        }
    }

    /**
     * Parses {@code text} as a JSON object, strictly ({@link StrictJson}: no comments, no
     * duplicate keys, no unpaired surrogates), or fails with a 400 that says what is wrong.
     */
    static JsonObject jsonObject(String text) {
        if (text == null || text.isBlank()) {
            throw HttpFailure.badRequest("request body is empty: send a JSON object such as {\"message\": \"hello\"}");
        }
        Object value;
        try {
            value = StrictJson.parse(text);
        } catch (IllegalArgumentException | DecodeException e) {
            throw HttpFailure.badRequest("request body is not valid JSON: " + firstLine(e.getMessage()));
        }
        if (!(value instanceof JsonObject object)) {
            throw HttpFailure.badRequest("request body must be a JSON object such as {\"message\": \"hello\"}");
        }
        return object;
    }

    private static String message(JsonObject body, int maxMessageBytes) {
        Object value = body.getValue("message");
        if (value == null) {
            throw HttpFailure.badRequest("'message' is missing: send {\"message\": \"...\"}");
        }
        if (!(value instanceof String message)) {
            throw HttpFailure.badRequest("'message' must be a string");
        }
        if (message.isBlank()) {
            throw HttpFailure.badRequest("'message' is blank");
        }
        int bytes = message.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > maxMessageBytes) {
            throw new HttpFailure(
                    413, "'message' is " + bytes + " bytes; the limit is " + maxMessageBytes + " bytes (UTF-8)");
        }
        return message;
    }

    private static String optionalString(JsonObject body, String field) {
        Object value = body.getValue(field);
        if (value == null) {
            return null;
        }
        if (!(value instanceof String text) || text.isBlank()) {
            throw HttpFailure.badRequest("'" + field + "' must be a non-blank string when present");
        }
        return text;
    }

    private static DoubleTexting doubleTexting(JsonObject body) {
        Object value = body.getValue("doubleTexting");
        if (value == null) {
            return null;
        }
        for (DoubleTexting policy : DoubleTexting.values()) {
            if (value instanceof String text && policy.name().equalsIgnoreCase(text)) {
                return policy;
            }
        }
        throw HttpFailure.badRequest(
                "'doubleTexting' must be one of enqueue, reject, interrupt, rollback, got " + shown(value));
    }

    private static boolean sticky(JsonObject body, DoubleTexting policy) {
        Object value = body.getValue("sticky");
        if (value == null) {
            return false;
        }
        if (!(value instanceof Boolean sticky)) {
            throw HttpFailure.badRequest("'sticky' must be true or false, got " + shown(value));
        }
        if (sticky && policy == null) {
            throw HttpFailure.badRequest(
                    "'sticky' makes the turn's doubleTexting the session's: send it with \"doubleTexting\"");
        }
        return sticky;
    }

    private static Long timeoutMs(JsonObject body) {
        Object value = body.getValue("timeoutMs");
        if (value == null) {
            return null;
        }
        // Jackson yields Integer or Long for whole numbers; anything else (1.5, "100", 1e30) is refused.
        if (!(value instanceof Integer || value instanceof Long) || ((Number) value).longValue() <= 0) {
            throw HttpFailure.badRequest(
                    "'timeoutMs' must be a positive whole number of milliseconds, got " + shown(value));
        }
        return ((Number) value).longValue();
    }

    /** A value as the error shows it: bounded and escaped, so a large body is not echoed back. */
    private static String shown(Object value) {
        return value instanceof String string ? ClientText.quote(string) : ClientText.shown(String.valueOf(value));
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "unreadable input";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
