package dev.skein.adapters.openai;

import com.openai.errors.OpenAIException;
import com.openai.errors.OpenAIInvalidDataException;
import com.openai.errors.OpenAIIoException;
import com.openai.errors.OpenAIRetryableException;
import com.openai.errors.OpenAIServiceException;
import com.openai.errors.SseException;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.RetryBudget;
import dev.skein.events.AgentInvocation;

/**
 * What a failed chat completion means for the turn. The SDK has already retried what it retries
 * (408, 409, 429, 5xx, connection errors and timeouts) with backoff, {@code max-retries} times,
 * when one of these reaches us: such a failure is final ({@link RetryBudget#spent}), or the
 * session would ask again and multiply the requests. An error event in the middle of a stream,
 * which the SDK does not repeat, is retryable by the session ({@link RetryBudget#askAgain}).
 */
final class ProviderFailures {

    private ProviderFailures() {}

    /**
     * @param maxRetries the SDK's retries, so a failure it retried was sent {@code maxRetries + 1}
     *     times (the SDK gives up early only when the server says {@code x-should-retry: false})
     */
    static AgentReply.Failure of(OpenAIException error, String baseUrl, int maxRetries, AgentInvocation invocation) {
        AgentReply.Failure failure = classify(error, baseUrl);
        if (!failure.retryable()) {
            return failure;
        }
        return error instanceof SseException
                ? RetryBudget.askAgain(failure.message(), invocation)
                : RetryBudget.spent(failure.message(), maxRetries + 1);
    }

    private static AgentReply.Failure classify(OpenAIException error, String baseUrl) {
        return switch (error) {
            // An error event after the 200 (generation failed mid-stream): the server's fault,
            // unless it says the request itself was wrong.
            case SseException sse
            when sse.statusCode() < 400 ->
                new AgentReply.Failure(
                        "the stream from " + baseUrl + " ended with an error: " + providerMessage(sse),
                        !"invalid_request_error".equals(sse.type().orElse(null)));
            case OpenAIServiceException service -> {
                int status = service.statusCode();
                // Same rule as the SDK's own retries: a later try may succeed.
                boolean retryable = status == 408 || status == 409 || status == 429 || status >= 500;
                yield new AgentReply.Failure(
                        baseUrl + " answered " + status + " (" + describe(status) + "): " + providerMessage(service),
                        retryable);
            }
            case OpenAIIoException io -> new AgentReply.Failure("cannot reach " + baseUrl + ": " + message(io), true);
            case OpenAIRetryableException retry ->
                new AgentReply.Failure("call to " + baseUrl + " failed: " + message(retry), true);
            // Usually a base URL that points at something other than a chat completions API.
            case OpenAIInvalidDataException data ->
                new AgentReply.Failure(
                        "the reply of " + baseUrl
                                + " is not a valid chat completion (is the base URL an OpenAI-compatible /v1 endpoint?): "
                                + message(data),
                        false);
            default -> new AgentReply.Failure("call to " + baseUrl + " failed: " + message(error), false);
        };
    }

    private static String describe(int status) {
        return switch (status) {
            case 400 -> "bad request";
            case 401 -> "authentication failed; check the API key";
            case 403 -> "permission denied; check the key's access to the model";
            case 404 -> "not found; check the base URL and the model";
            case 408 -> "request timeout";
            case 409 -> "conflict";
            case 422 -> "request rejected";
            case 429 -> "rate limited";
            default -> status >= 500 ? "server error" : "unexpected status";
        };
    }

    /** The provider's own words: the SDK's message without the status it starts with. */
    private static String providerMessage(OpenAIServiceException error) {
        String message = error.getMessage() == null ? "" : error.getMessage();
        return message.replaceFirst("^\\d{3}: ", "");
    }

    private static String message(Throwable error) {
        Throwable cause = error.getCause();
        String own = error.getMessage() == null ? error.getClass().getSimpleName() : error.getMessage();
        return cause == null || cause.getMessage() == null || own.contains(cause.getMessage())
                ? own
                : own + " (" + cause.getMessage() + ")";
    }
}
