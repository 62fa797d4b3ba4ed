package dev.skein.ingress;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * An A2A error (A2A 1.0, section 3.3.2 and the mapping table of 5.4), with what each binding
 * needs: the JSON-RPC code, the HTTP status of the HTTP+JSON binding, and the
 * {@code google.rpc.ErrorInfo} reason. Carries no stack trace: it is an answer, not a bug.
 */
final class A2aError extends RuntimeException {

    static final String DOMAIN = "a2a-protocol.org";

    private final int code;
    private final int httpStatus;
    private final String reason;

    private A2aError(int code, int httpStatus, String reason, String message) {
        super(message, null, false, false);
        this.code = code;
        this.httpStatus = httpStatus;
        this.reason = reason;
    }

    static A2aError parse(String message) {
        return new A2aError(-32700, 400, null, message);
    }

    static A2aError invalidRequest(String message) {
        return new A2aError(-32600, 400, null, message);
    }

    static A2aError methodNotFound(String message) {
        return new A2aError(-32601, 404, null, message);
    }

    static A2aError invalidParams(String message) {
        return new A2aError(-32602, 400, null, message);
    }

    static A2aError internal(String message) {
        return new A2aError(-32603, 500, null, message);
    }

    static A2aError taskNotFound(String message) {
        return new A2aError(-32001, 404, "TASK_NOT_FOUND", message);
    }

    static A2aError taskNotCancelable(String message) {
        return new A2aError(-32002, 400, "TASK_NOT_CANCELABLE", message);
    }

    static A2aError pushNotSupported(String message) {
        return new A2aError(-32003, 400, "PUSH_NOTIFICATION_NOT_SUPPORTED", message);
    }

    static A2aError unsupported(String message) {
        return new A2aError(-32004, 400, "UNSUPPORTED_OPERATION", message);
    }

    static A2aError contentType(String message) {
        return new A2aError(-32005, 400, "CONTENT_TYPE_NOT_SUPPORTED", message);
    }

    static A2aError extendedCardNotConfigured(String message) {
        return new A2aError(-32007, 400, "EXTENDED_AGENT_CARD_NOT_CONFIGURED", message);
    }

    static A2aError versionNotSupported(String message) {
        return new A2aError(-32009, 400, "VERSION_NOT_SUPPORTED", message);
    }

    /** Skein's own refusals that HTTP already has words for (403 forbidden, 429 quota, 503 not now). */
    static A2aError http(int status, String message) {
        return new A2aError(status == 503 || status == 429 ? -32603 : -32600, status, null, message);
    }

    int code() {
        return code;
    }

    int httpStatus() {
        return httpStatus;
    }

    /** The JSON-RPC {@code error} member. */
    JsonObject rpcError() {
        JsonObject error = new JsonObject().put("code", code).put("message", getMessage());
        if (reason != null) {
            error.put("data", new JsonArray().add(errorInfo()));
        }
        return error;
    }

    /** The HTTP+JSON binding's body: a {@code google.rpc.Status}. */
    JsonObject restBody() {
        JsonObject error = new JsonObject()
                .put("code", httpStatus)
                .put("status", grpcStatus())
                .put("message", getMessage());
        if (reason != null) {
            error.put("details", new JsonArray().add(errorInfo()));
        }
        return new JsonObject().put("error", error);
    }

    private JsonObject errorInfo() {
        return new JsonObject()
                .put("@type", "type.googleapis.com/google.rpc.ErrorInfo")
                .put("reason", reason)
                .put("domain", DOMAIN);
    }

    private String grpcStatus() {
        return switch (httpStatus) {
            case 400 -> code == -32005 || code == -32602 || code == -32700 ? "INVALID_ARGUMENT" : "FAILED_PRECONDITION";
            case 403 -> "PERMISSION_DENIED";
            case 404 -> "NOT_FOUND";
            case 429 -> "RESOURCE_EXHAUSTED";
            case 503 -> "UNAVAILABLE";
            default -> "INTERNAL";
        };
    }
}
