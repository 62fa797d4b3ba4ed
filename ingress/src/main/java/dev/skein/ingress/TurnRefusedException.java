package dev.skein.ingress;

/**
 * A turn the ingress refuses at once, before anything is written, because the session would
 * refuse it too ({@link SessionAdmission}): 409 for a busy session under the reject policy or a
 * full queue, 400 for an unknown agent. Nothing was accepted.
 */
final class TurnRefusedException extends RuntimeException {

    private final int status;
    private final String code;
    private final String activeTurnId;

    /**
     * @param code what refused it, for clients to branch on: {@code session_busy}, {@code queue_full},
     *     {@code unknown_agent}
     * @param activeTurnId the session's turn in progress, as far as the ingress knows; null when none
     */
    TurnRefusedException(int status, String code, String message, String activeTurnId) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
        this.activeTurnId = activeTurnId;
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    String activeTurnId() {
        return activeTurnId;
    }
}
