package dev.skein.workers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.schemas.SessionAddress;
import java.time.Duration;
import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link ToolRequest} on this worker's tools, retrying under the tool's {@link Retry},
 * and always answers with a {@link ToolResult}: every way a call can go wrong becomes an ERROR or
 * TIMEOUT result whose output the agent reads.
 */
public final class ToolInvoker {

    /**
     * The answer to one call.
     *
     * @param result what the session receives
     * @param exhaustedCause when every allowed attempt failed: what failed, for the dead-letter topic; else null
     */
    public record Invocation(ToolResult result, String exhaustedCause) {
        public boolean exhausted() {
            return exhaustedCause != null;
        }
    }

    /** Waits between attempts; tests pass a recording one. */
    @FunctionalInterface
    public interface Sleeper {
        void sleep(Duration duration) throws InterruptedException;
    }

    private record Attempt(ToolStatus status, String output, Throwable failure) {}

    private static final Logger log = LoggerFactory.getLogger(ToolInvoker.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ECHO = 200;

    // Mutable: tools imported from an MCP server come and go while the worker runs.
    private final Map<String, Tool> tools = new ConcurrentSkipListMap<>();
    private final String workerId;
    private final ExecutorService threads;
    private final LongSupplier clock;
    private final Sleeper sleeper;

    /**
     * @param threads where calls run (a virtual thread per call); a call is interrupted on timeout
     * @param clock wall-clock milliseconds, for deadlines and durations
     */
    public ToolInvoker(Collection<? extends Tool> tools, String workerId, ExecutorService threads, LongSupplier clock) {
        this(tools, workerId, threads, clock, duration -> Thread.sleep(duration));
    }

    public ToolInvoker(
            Collection<? extends Tool> tools,
            String workerId,
            ExecutorService threads,
            LongSupplier clock,
            Sleeper sleeper) {
        Map<String, Tool> byName = new TreeMap<>();
        for (Tool tool : tools) {
            if (byName.putIfAbsent(tool.name(), tool) != null) {
                throw new IllegalArgumentException("two tools are named '" + tool.name() + "'");
            }
        }
        this.tools.putAll(byName);
        this.workerId = workerId;
        this.threads = threads;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    /** The tools by name: a live, read-only view (tools may be offered and withdrawn while running). */
    public Map<String, Tool> tools() {
        return Collections.unmodifiableMap(tools);
    }

    /**
     * Adds or replaces {@code offered} (an MCP server's tools after it connected or its list changed).
     *
     * @throws IllegalArgumentException when two of them share a name
     */
    public void offer(Collection<? extends Tool> offered) {
        Map<String, Tool> byName = new TreeMap<>();
        for (Tool tool : offered) {
            if (byName.putIfAbsent(tool.name(), tool) != null) {
                throw new IllegalArgumentException("two tools are named '" + tool.name() + "'");
            }
        }
        tools.putAll(byName);
    }

    /** Removes the tools named {@code names}; a call that arrives for one afterwards gets "no tool named". */
    public void withdraw(Collection<String> names) {
        names.forEach(tools::remove);
    }

    /**
     * Runs {@code request}, retrying as its tool's policy allows, and returns its result.
     *
     * @param deliveryCount how many times the share group has delivered this request (1 the first time)
     * @throws InterruptedException when the worker is shutting down; the caller releases the request
     */
    public Invocation invoke(ToolRequest request, int deliveryCount) throws InterruptedException {
        long started = clock.getAsLong();
        String address = SessionAddress.key(request.getTenant(), request.getSessionId());
        Tool tool = tools.get(request.getTool());
        if (tool == null) {
            return answer(request, ToolStatus.ERROR, unknownTool(request.getTool()), started, deliveryCount, 0);
        }
        // requiresApproval is honoured upstream: the session holds such a call until a person approves
        // it, so a request that reaches a worker is approved.
        JsonNode arguments;
        try {
            arguments = JSON.readTree(request.getArgumentsJson());
        } catch (JsonProcessingException e) {
            return answer(
                    request,
                    ToolStatus.ERROR,
                    "the arguments of " + tool.name() + " are not valid JSON (" + e.getOriginalMessage() + "): "
                            + echo(request.getArgumentsJson()),
                    started,
                    deliveryCount,
                    0);
        }
        if (arguments == null || !arguments.isObject()) {
            return answer(
                    request,
                    ToolStatus.ERROR,
                    "the arguments of " + tool.name() + " must be a JSON object, got: "
                            + echo(request.getArgumentsJson()),
                    started,
                    deliveryCount,
                    0);
        }
        Retry retry = tool.retry();
        for (int attempt = 1; ; attempt++) {
            long now = clock.getAsLong();
            long timeoutMs = tool.timeout().toMillis();
            boolean deadlineBound = false;
            if (request.getDeadlineMs() > 0) {
                long untilDeadline = request.getDeadlineMs() - now;
                if (untilDeadline <= 0) {
                    String message = attempt == 1
                            ? tool.name() + " was not run: the call's deadline passed " + (-untilDeadline)
                                    + " ms before a worker picked it up"
                            : tool.name() + " was not tried again: the call's deadline passed after " + (attempt - 1)
                                    + " attempts";
                    return answer(request, ToolStatus.TIMEOUT, message, started, deliveryCount, attempt - 1);
                }
                if (untilDeadline < timeoutMs) {
                    timeoutMs = untilDeadline;
                    deadlineBound = true;
                }
            }
            log.debug(
                    "[{} turn {}] running {} ({}), delivery {}, attempt {}",
                    address,
                    request.getTurnId(),
                    tool.name(),
                    request.getCallId(),
                    deliveryCount,
                    attempt);
            Attempt outcome = runOnce(tool, arguments, timeoutMs, deadlineBound, request, address);
            if (outcome.status() == ToolStatus.OK) {
                return answer(request, ToolStatus.OK, outcome.output(), started, deliveryCount, attempt);
            }
            boolean retryable = outcome.failure() == null ? retry.retriesTimeout() : retry.retries(outcome.failure());
            // A timeout at the call's deadline leaves no time for another attempt.
            if (!retryable || (deadlineBound && outcome.status() == ToolStatus.TIMEOUT)) {
                return answer(request, outcome.status(), outcome.output(), started, deliveryCount, attempt);
            }
            if (attempt >= retry.maxAttempts()) {
                String output = tool.name() + " failed after " + attempt + (attempt == 1 ? " attempt: " : " attempts: ")
                        + outcome.output();
                log.warn(
                        "[{} turn {}] {} ({}) gave up: {}",
                        address,
                        request.getTurnId(),
                        tool.name(),
                        request.getCallId(),
                        output);
                ToolResult result = result(request, outcome.status(), output, started, deliveryCount, attempt);
                return new Invocation(result, output);
            }
            Duration backoff = retry.backoffBefore(attempt + 1);
            log.info(
                    "[{} turn {}] {} ({}) attempt {} of {} failed ({}); trying again in {} ms",
                    address,
                    request.getTurnId(),
                    tool.name(),
                    request.getCallId(),
                    attempt,
                    retry.maxAttempts(),
                    outcome.output(),
                    backoff.toMillis());
            sleeper.sleep(backoff);
        }
    }

    /** The message for a call to a tool this worker does not have. */
    public String unknownTool(String name) {
        return "no tool named '" + name + "' on worker " + workerId + " (it has: " + String.join(", ", tools.keySet())
                + ")";
    }

    private Attempt runOnce(
            Tool tool, JsonNode arguments, long timeoutMs, boolean deadlineBound, ToolRequest request, String address)
            throws InterruptedException {
        Future<String> output = threads.submit(
                () -> tool instanceof RequestTool scoped ? scoped.run(arguments, request) : tool.run(arguments));
        try {
            String text = output.get(timeoutMs, TimeUnit.MILLISECONDS);
            return new Attempt(ToolStatus.OK, text == null ? "" : text, null);
        } catch (TimeoutException e) {
            output.cancel(true);
            String message = tool.name() + " timed out after " + timeoutMs + " ms"
                    + (deadlineBound ? " (the call's deadline)" : "");
            log.warn("[{} turn {}] {} ({})", address, request.getTurnId(), message, request.getCallId());
            return new Attempt(ToolStatus.TIMEOUT, message, null);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ToolFailure) {
                log.info(
                        "[{} turn {}] {} ({}) failed: {}",
                        address,
                        request.getTurnId(),
                        tool.name(),
                        request.getCallId(),
                        cause.getMessage());
                return new Attempt(ToolStatus.ERROR, cause.getMessage(), cause);
            }
            log.warn(
                    "[{} turn {}] {} ({}) threw",
                    address,
                    request.getTurnId(),
                    tool.name(),
                    request.getCallId(),
                    cause);
            String message = cause.getMessage() == null
                    ? cause.getClass().getSimpleName()
                    : cause.getClass().getSimpleName() + ": " + cause.getMessage();
            return new Attempt(ToolStatus.ERROR, tool.name() + " failed: " + message, cause);
        } catch (InterruptedException e) {
            output.cancel(true);
            throw e;
        }
    }

    private Invocation answer(
            ToolRequest request, ToolStatus status, String output, long started, int deliveryCount, int attempts) {
        return new Invocation(result(request, status, output, started, deliveryCount, attempts), null);
    }

    /** A result for {@code request} answered by this worker without (or after) running it. */
    public ToolResult result(
            ToolRequest request, ToolStatus status, String output, long started, int deliveryCount, int attempts) {
        long now = clock.getAsLong();
        return ToolResult.newBuilder()
                .setTenant(request.getTenant())
                .setSessionId(request.getSessionId())
                .setTurnId(request.getTurnId())
                .setStep(request.getStep())
                .setCallId(request.getCallId())
                .setTool(request.getTool())
                .setStatus(status)
                .setOutput(output)
                .setWorker(workerId)
                .setDurationMs(Math.max(0, now - started))
                .setDeliveryCount(deliveryCount)
                .setAttempts(attempts)
                .setCached(false)
                .setCompletedAtMs(now)
                .setDispatchId(request.getDispatchId())
                .build();
    }

    private static String echo(String text) {
        return text.length() <= MAX_ECHO ? text : text.substring(0, MAX_ECHO) + "...";
    }
}
