package dev.skein.adapters.langgraph;

import static dev.skein.adapters.http.RetryingHttpClient.abbreviate;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.adapters.AgentReply;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What Skein reads from a thread's state ({@code GET /threads/{thread_id}/state}): the messages of
 * the graph's {@code messages} channel and the interrupts it is paused on.
 *
 * <p>Messages are LangChain messages as the server serializes them ({@code {"type": "ai",
 * "content": ..., "tool_calls": [...], "usage_metadata": {...}}}); content may be a string or a
 * list of content blocks, of which the {@code text} blocks count.
 *
 * @param messages the thread's messages, oldest first
 * @param interrupts the interrupts of the pending tasks, in task order
 */
record ThreadState(List<JsonNode> messages, List<Interrupt> interrupts) {

    /**
     * One interrupt of a paused graph.
     *
     * @param id the interrupt's id (LangGraph 0.4 and later), or null from older servers
     * @param value what the node passed to {@code interrupt()}
     */
    record Interrupt(String id, JsonNode value) {}

    /** A tool call a graph paused on, and the interrupt that carries it. */
    record PendingCall(String interruptId, AgentReply.Call call) {}

    /** Reads a state as the server answers it. */
    static ThreadState from(JsonNode state) throws AgentServerException {
        JsonNode values = state.path("values");
        if (!values.isObject() && !values.isNull() && !values.isMissingNode()) {
            throw new AgentServerException(
                    "the thread state's values are not an object: " + abbreviate(values.toString()), false);
        }
        JsonNode messages = values.path("messages");
        if (!messages.isMissingNode() && !messages.isNull() && !messages.isArray()) {
            throw new AgentServerException(
                    "the thread state's messages are not a list: " + abbreviate(messages.toString()), false);
        }
        List<JsonNode> list = new ArrayList<>();
        messages.forEach(list::add);
        return new ThreadState(List.copyOf(list), interrupts(state));
    }

    // Interrupts sit on the pending tasks; newer servers also list them at the top level, so the
    // top-level list is read only when no task carries any (to count each interrupt once).
    private static List<Interrupt> interrupts(JsonNode state) {
        List<Interrupt> found = new ArrayList<>();
        for (JsonNode task : state.path("tasks")) {
            for (JsonNode interrupt : task.path("interrupts")) {
                found.add(interrupt(interrupt));
            }
        }
        if (found.isEmpty()) {
            JsonNode top = state.path("interrupts");
            if (top.isArray()) {
                top.forEach(interrupt -> found.add(interrupt(interrupt)));
            } else if (top.isObject()) {
                top.forEach(byTask -> byTask.forEach(interrupt -> found.add(interrupt(interrupt))));
            }
        }
        return List.copyOf(found);
    }

    private static Interrupt interrupt(JsonNode node) {
        String id = node.hasNonNull("id") ? node.get("id").asText() : null;
        return new Interrupt(id, node.path("value"));
    }

    boolean interrupted() {
        return !interrupts.isEmpty();
    }

    /**
     * The tool calls of every interrupt, in order.
     *
     * @throws AgentServerException when an interrupt is not {@code {"tool_calls": [{"id", "name", "args"}]}}
     */
    List<PendingCall> pendingCalls() throws AgentServerException {
        List<PendingCall> calls = new ArrayList<>();
        for (Interrupt interrupt : interrupts) {
            JsonNode toolCalls = interrupt.value().path("tool_calls");
            if (!toolCalls.isArray() || toolCalls.isEmpty()) {
                throw new AgentServerException(
                        "the graph paused with an interrupt Skein cannot act on: "
                                + abbreviate(interrupt.value().toString())
                                + " (Skein resumes interrupts whose value is {\"tool_calls\": [{\"id\", \"name\", \"args\"}]})",
                        false);
            }
            for (JsonNode call : toolCalls) {
                JsonNode name = call.path("name");
                if (!name.isTextual() || name.asText().isBlank()) {
                    throw new AgentServerException(
                            "the graph paused on a tool call without a name: " + abbreviate(call.toString()), false);
                }
                String id = call.hasNonNull("id") && !call.get("id").asText().isBlank()
                        ? call.get("id").asText()
                        : null;
                JsonNode args = call.path("args");
                // Arguments pass through as the graph wrote them: the session answers arguments
                // that are not a JSON object with an error the graph's model can correct.
                String argumentsJson = args.isMissingNode() || args.isNull()
                        ? "{}"
                        : args.isTextual() ? args.asText() : args.toString();
                calls.add(new PendingCall(interrupt.id(), new AgentReply.Call(id, name.asText(), argumentsJson)));
            }
        }
        return calls;
    }

    /** The last AI message, if any. */
    Optional<JsonNode> lastAiMessage() {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (isAi(messages.get(i))) {
                return Optional.of(messages.get(i));
            }
        }
        return Optional.empty();
    }

    /** The last message when it is an AI message (the one that asked for the pending tools). */
    Optional<JsonNode> trailingAiMessage() {
        return messages.isEmpty() || !isAi(messages.getLast()) ? Optional.empty() : Optional.of(messages.getLast());
    }

    /** True when the thread already holds a tool message answering one of {@code callIds}. */
    boolean answered(Collection<String> callIds) {
        for (JsonNode message : messages) {
            if ("tool".equals(message.path("type").asText())
                    && callIds.contains(message.path("tool_call_id").asText())) {
                return true;
            }
        }
        return false;
    }

    /** The text of a message: its content string, or its text blocks joined. */
    static String text(JsonNode message) {
        JsonNode content = message.path("content");
        if (content.isTextual()) {
            return content.asText();
        }
        StringBuilder text = new StringBuilder();
        for (JsonNode block : content) {
            if (block.isTextual()) {
                text.append(block.asText());
            } else if ("text".equals(block.path("type").asText())) {
                text.append(block.path("text").asText());
            }
        }
        return text.toString();
    }

    /** The message's {@code usage_metadata}, when the model reported it. */
    static AgentReply.Usage usage(JsonNode message) {
        JsonNode usage = message.path("usage_metadata");
        if (!usage.isObject()) {
            return AgentReply.Usage.UNKNOWN;
        }
        return new AgentReply.Usage(
                usage.hasNonNull("input_tokens") ? usage.get("input_tokens").asLong() : null,
                usage.hasNonNull("output_tokens") ? usage.get("output_tokens").asLong() : null);
    }

    /** The calls grouped by the interrupt that carries them, in order. */
    static Map<String, List<PendingCall>> byInterrupt(List<PendingCall> calls) {
        Map<String, List<PendingCall>> grouped = new LinkedHashMap<>();
        for (PendingCall call : calls) {
            grouped.computeIfAbsent(String.valueOf(call.interruptId()), id -> new ArrayList<>())
                    .add(call);
        }
        return grouped;
    }

    private static boolean isAi(JsonNode message) {
        String type = message.path("type").asText(message.path("role").asText());
        return "ai".equals(type)
                || "AIMessage".equals(type)
                || "AIMessageChunk".equals(type)
                || "assistant".equals(type);
    }
}
