package dev.skein.adapters.openai;

/** A reply that parsed but cannot be turned into a step, e.g. a tool call that never named its tool. */
final class MalformedReplyException extends RuntimeException {

    MalformedReplyException(String message) {
        super(message);
    }
}
