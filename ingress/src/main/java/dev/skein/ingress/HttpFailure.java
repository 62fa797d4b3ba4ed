package dev.skein.ingress;

/**
 * A request the ingress refuses, with the HTTP status and the message the client sees. Thrown by
 * request parsing; turned into {@code {"error": message}} (or a WebSocket error frame) by the
 * caller. Carries no stack trace: it is an answer, not a bug.
 */
final class HttpFailure extends RuntimeException {

    private final int status;

    HttpFailure(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    static HttpFailure badRequest(String message) {
        return new HttpFailure(400, message);
    }

    int status() {
        return status;
    }
}
