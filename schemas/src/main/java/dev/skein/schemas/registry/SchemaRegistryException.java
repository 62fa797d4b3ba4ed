package dev.skein.schemas.registry;

/** A schema registry refused a request or could not be reached; the message says which. */
public class SchemaRegistryException extends RuntimeException {

    private final int errorCode;

    public SchemaRegistryException(String message, int errorCode) {
        super(message);
        this.errorCode = errorCode;
    }

    public SchemaRegistryException(String message, Throwable cause) {
        super(message, cause);
        this.errorCode = -1;
    }

    /** The registry's error code (for example 40401, 409, 42201), or -1 when there is none. */
    public int errorCode() {
        return errorCode;
    }
}
