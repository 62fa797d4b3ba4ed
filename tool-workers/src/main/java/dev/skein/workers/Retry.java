package dev.skein.workers;

import dev.skein.events.RetryPolicy;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * When a failed tool call runs again: up to {@code maxAttempts} executions in all, waiting
 * {@code initialBackoff}, then {@code multiplier} times longer each time, never longer than
 * {@code maxBackoff}. Only the failures named in {@code retryOn} retry: {@value #TIMEOUT} for a
 * timeout, or an exception class by simple or qualified name, which also matches its subclasses
 * (as a {@code catch} would); a {@link ToolFailure} created retryable retries regardless. Nothing
 * else retries, so a bad argument is not tried again.
 *
 * <p>The wire form is the catalog's {@link RetryPolicy}, whose defaults match {@link #none()}.
 */
public record Retry(
        int maxAttempts, Duration initialBackoff, double multiplier, Duration maxBackoff, List<String> retryOn) {

    /** The {@code retryOn} entry for timeouts. */
    public static final String TIMEOUT = "timeout";

    public Retry {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, got " + maxAttempts);
        }
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException(
                    "backoff must satisfy 0 <= initial (" + initialBackoff + ") <= max (" + maxBackoff + ")");
        }
        if (!Double.isFinite(multiplier) || multiplier < 1) {
            throw new IllegalArgumentException("multiplier must be at least 1, got " + multiplier);
        }
        retryOn = List.copyOf(retryOn);
    }

    /** One attempt, nothing retries (backoff 200 ms x2 up to 10 s, should attempts be raised). */
    public static Retry none() {
        return new Retry(1, Duration.ofMillis(200), 2.0, Duration.ofSeconds(10), List.of());
    }

    public static Retry of(RetryPolicy policy) {
        return new Retry(
                policy.getMaxAttempts(),
                Duration.ofMillis(policy.getInitialBackoffMs()),
                policy.getMultiplier(),
                Duration.ofMillis(policy.getMaxBackoffMs()),
                policy.getRetryOn());
    }

    public RetryPolicy toPolicy() {
        return RetryPolicy.newBuilder()
                .setMaxAttempts(maxAttempts)
                .setInitialBackoffMs(initialBackoff.toMillis())
                .setMultiplier(multiplier)
                .setMaxBackoffMs(maxBackoff.toMillis())
                .setRetryOn(retryOn)
                .build();
    }

    public Retry withMaxAttempts(int attempts) {
        return new Retry(attempts, initialBackoff, multiplier, maxBackoff, retryOn);
    }

    public Retry withBackoff(Duration initial, double factor, Duration max) {
        return new Retry(maxAttempts, initial, factor, max, retryOn);
    }

    /** Also retries on timeouts. */
    public Retry onTimeout() {
        return on(TIMEOUT);
    }

    /** Also retries on these exception types (and their subclasses). */
    @SafeVarargs
    public final Retry on(Class<? extends Throwable>... types) {
        return on(Arrays.stream(types).map(Class::getName).toArray(String[]::new));
    }

    /** Also retries on these entries: {@value #TIMEOUT} or exception class names, simple or qualified. */
    public Retry on(String... entries) {
        List<String> more = new java.util.ArrayList<>(retryOn);
        for (String entry : entries) {
            if (entry == null || entry.isBlank()) {
                throw new IllegalArgumentException("a retryOn entry must not be blank");
            }
            if (!more.contains(entry)) {
                more.add(entry);
            }
        }
        return new Retry(maxAttempts, initialBackoff, multiplier, maxBackoff, more);
    }

    /**
     * How long to wait before attempt number {@code attempt} (2 for the first retry):
     * {@code min(maxBackoff, initialBackoff * multiplier^(attempt-2))}.
     */
    public Duration backoffBefore(int attempt) {
        if (attempt < 2) {
            throw new IllegalArgumentException("attempt " + attempt + " is not a retry; the first retry is attempt 2");
        }
        double millis = initialBackoff.toMillis() * Math.pow(multiplier, attempt - 2);
        return millis >= maxBackoff.toMillis() ? maxBackoff : Duration.ofMillis(Math.round(millis));
    }

    /** True when a timed-out attempt may run again. */
    public boolean retriesTimeout() {
        return retryOn.contains(TIMEOUT);
    }

    /** True when an attempt that threw {@code failure} may run again. */
    public boolean retries(Throwable failure) {
        if (failure instanceof ToolFailure toolFailure && toolFailure.isRetryable()) {
            return true;
        }
        for (Class<?> type = failure.getClass(); type != null && type != Object.class; type = type.getSuperclass()) {
            if (retryOn.contains(type.getName()) || retryOn.contains(type.getSimpleName())) {
                return true;
            }
        }
        return false;
    }
}
