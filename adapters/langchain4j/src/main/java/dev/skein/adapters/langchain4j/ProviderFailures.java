package dev.skein.adapters.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.NonRetriableException;
import dev.langchain4j.exception.RetriableException;
import dev.langchain4j.exception.UnresolvedModelServerException;
import dev.skein.adapters.AgentReply.Failure;
import java.io.IOException;

/**
 * What a failed {@code ChatModel.chat} call means for the session. LangChain4j has already
 * retried what it considers transient (with backoff, up to the model's max retries); whether
 * such a failure may go back to the session as retryable is {@link LangChain4jAgent}'s call
 * ({@link #retriedByModel}): one layer of retries, not two.
 */
final class ProviderFailures {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ProviderFailures() {}

    /**
     * @param provider how to name the provider in the message, e.g. {@code ANTHROPIC}
     * @throws InterruptedException when the call failed because this thread was interrupted (the
     *     runner's timeout): the runner, not the session, decides what that means
     */
    static Failure from(String provider, RuntimeException error) throws InterruptedException {
        if (Thread.currentThread().isInterrupted() || has(error, InterruptedException.class)) {
            InterruptedException interrupted = new InterruptedException("interrupted while waiting for " + provider);
            interrupted.initCause(error);
            throw interrupted;
        }
        HttpException http = find(error, HttpException.class);
        if (http != null) {
            int status = http.statusCode();
            boolean retryable = status == 408 || status == 429 || status >= 500;
            return new Failure(
                    provider + " replied HTTP " + status + ": " + providerMessage(http.getMessage()), retryable);
        }
        // A reply that is not the provider's JSON: its JsonProcessingException is an IOException,
        // so it is told apart before connection errors. Asking again would get the same reply.
        JsonProcessingException unreadable = find(error, JsonProcessingException.class);
        if (unreadable != null) {
            return new Failure(
                    provider + " sent a reply that is not valid for its API (is base-url right?): "
                            + unreadable.getOriginalMessage(),
                    false);
        }
        if (error instanceof UnresolvedModelServerException) {
            // A host name that does not resolve is almost always a wrong base-url, not an outage.
            return new Failure("cannot resolve the " + provider + " server; check base-url: " + message(error), false);
        }
        if (error instanceof RetriableException) {
            return new Failure(
                    provider + " failed (" + error.getClass().getSimpleName() + "): " + message(error), true);
        }
        if (error instanceof NonRetriableException) {
            return new Failure(
                    provider + " refused the request (" + error.getClass().getSimpleName() + "): " + message(error),
                    false);
        }
        IOException io = find(error, IOException.class);
        if (io != null) {
            String detail =
                    io.getMessage() == null || io.getMessage().isBlank() ? "" : ": " + abbreviate(io.getMessage());
            return new Failure("cannot reach " + provider + " (" + io.getClass().getSimpleName() + detail + ")", true);
        }
        return new Failure(provider + " call failed: " + message(error), false);
    }

    /**
     * Whether the model's own retries already repeated the request that failed: an HTTP error
     * or an I/O error (a refused connection, a timeout) from inside the call. A failure raised
     * after the provider answered (an empty choice list, say) was not repeated.
     */
    static boolean retriedByModel(RuntimeException error) {
        return has(error, HttpException.class)
                || (has(error, IOException.class) && !has(error, JsonProcessingException.class));
    }

    /** The {@code error.message} of an OpenAI or Anthropic error body, else the body itself. */
    static String providerMessage(String body) {
        if (body == null || body.isBlank()) {
            return "(no body)";
        }
        try {
            JsonNode error = JSON.readTree(body).path("error");
            String message = error.path("message").asText("");
            if (!message.isBlank()) {
                String type = error.path("type").asText("");
                return type.isBlank() ? message : type + ": " + message;
            }
        } catch (JsonProcessingException e) {
            // Not JSON (a proxy's HTML page, say): the body itself is the best message there is.
            return abbreviate(body);
        }
        return abbreviate(body);
    }

    private static String abbreviate(String text) {
        String oneLine = text.strip().replaceAll("\\s+", " ");
        return oneLine.length() <= 500 ? oneLine : oneLine.substring(0, 500) + "...";
    }

    private static String message(Throwable error) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                return abbreviate(t.getMessage());
            }
        }
        return error.getClass().getSimpleName();
    }

    private static boolean has(Throwable error, Class<? extends Throwable> type) {
        return find(error, type) != null;
    }

    private static <T extends Throwable> T find(Throwable error, Class<T> type) {
        for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }
}
