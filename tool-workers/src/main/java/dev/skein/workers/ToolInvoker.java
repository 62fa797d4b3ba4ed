package dev.skein.workers;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one {@link ToolRequest} on this worker's tools and always answers with a {@link ToolResult}:
 * every way a call can go wrong becomes an ERROR or TIMEOUT result whose output the agent reads.
 */
public final class ToolInvoker {

    private static final Logger log = LoggerFactory.getLogger(ToolInvoker.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_ECHO = 200;

    private final Map<String, Tool> tools;
    private final String workerId;
    private final ExecutorService threads;
    private final LongSupplier clock;

    /**
     * @param threads where calls run (a virtual thread per call); a call is interrupted on timeout
     * @param clock wall-clock milliseconds, for deadlines and durations
     */
    public ToolInvoker(Collection<? extends Tool> tools, String workerId, ExecutorService threads, LongSupplier clock) {
        Map<String, Tool> byName = new TreeMap<>();
        for (Tool tool : tools) {
            if (byName.putIfAbsent(tool.name(), tool) != null) {
                throw new IllegalArgumentException("two tools are named '" + tool.name() + "'");
            }
        }
        this.tools = Map.copyOf(byName);
        this.workerId = workerId;
        this.threads = threads;
        this.clock = clock;
    }

    /** The tools by name. */
    public Map<String, Tool> tools() {
        return tools;
    }

    /**
     * Runs {@code request} and returns its result.
     *
     * @param deliveryCount how many times the share group has delivered this request (1 the first time)
     * @throws InterruptedException when the worker is shutting down; the caller releases the request
     */
    public ToolResult invoke(ToolRequest request, int deliveryCount) throws InterruptedException {
        long started = clock.getAsLong();
        String address = request.getTenant() + "/" + request.getSessionId();
        Tool tool = tools.get(request.getTool());
        if (tool == null) {
            return result(request, ToolStatus.ERROR, "no tool named '" + request.getTool() + "' on worker " + workerId
                    + " (it has: " + String.join(", ", tools.keySet()) + ")", started, deliveryCount);
        }
        long timeoutMs = tool.timeoutMs();
        boolean deadlineBound = false;
        if (request.getDeadlineMs() > 0) {
            long untilDeadline = request.getDeadlineMs() - started;
            if (untilDeadline <= 0) {
                return result(request, ToolStatus.TIMEOUT, tool.name() + " was not run: the call's deadline passed "
                        + (-untilDeadline) + " ms before a worker picked it up", started, deliveryCount);
            }
            if (untilDeadline < timeoutMs) {
                timeoutMs = untilDeadline;
                deadlineBound = true;
            }
        }
        JsonNode arguments;
        try {
            arguments = JSON.readTree(request.getArgumentsJson());
        } catch (JsonProcessingException e) {
            return result(request, ToolStatus.ERROR, "the arguments of " + tool.name() + " are not valid JSON ("
                    + e.getOriginalMessage() + "): " + echo(request.getArgumentsJson()), started, deliveryCount);
        }
        if (arguments == null || !arguments.isObject()) {
            return result(request, ToolStatus.ERROR, "the arguments of " + tool.name() + " must be a JSON object, got: "
                    + echo(request.getArgumentsJson()), started, deliveryCount);
        }
        log.debug("[{} turn {}] running {} ({}), delivery {}", address, request.getTurnId(), tool.name(),
                request.getCallId(), deliveryCount);
        JsonNode args = arguments;
        Future<String> output = threads.submit(() -> tool.run(args));
        try {
            String text = output.get(timeoutMs, TimeUnit.MILLISECONDS);
            return result(request, ToolStatus.OK, text == null ? "" : text, started, deliveryCount);
        } catch (TimeoutException e) {
            output.cancel(true);
            String message = tool.name() + " timed out after " + timeoutMs + " ms"
                    + (deadlineBound ? " (the call's deadline)" : "");
            log.warn("[{} turn {}] {} ({})", address, request.getTurnId(), message, request.getCallId());
            return result(request, ToolStatus.TIMEOUT, message, started, deliveryCount);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ToolFailure) {
                log.info("[{} turn {}] {} ({}) failed: {}", address, request.getTurnId(), tool.name(),
                        request.getCallId(), cause.getMessage());
                return result(request, ToolStatus.ERROR, cause.getMessage(), started, deliveryCount);
            }
            log.warn("[{} turn {}] {} ({}) threw", address, request.getTurnId(), tool.name(), request.getCallId(), cause);
            String message = cause.getMessage() == null ? cause.getClass().getSimpleName() : cause.getMessage();
            return result(request, ToolStatus.ERROR, tool.name() + " failed: " + message, started, deliveryCount);
        } catch (InterruptedException e) {
            output.cancel(true);
            throw e;
        }
    }

    private ToolResult result(ToolRequest request, ToolStatus status, String output, long started, int deliveryCount) {
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
                .setCompletedAtMs(now)
                .build();
    }

    private static String echo(String text) {
        return text.length() <= MAX_ECHO ? text : text.substring(0, MAX_ECHO) + "...";
    }
}
