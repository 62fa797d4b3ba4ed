package dev.skein.adapters.langgraph;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.adapters.DeltaSink;
import dev.skein.adapters.Handoffs;
import dev.skein.adapters.RetryBudget;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolStatus;
import dev.skein.schemas.MemoryMessage;
import dev.skein.schemas.SessionAddress;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A graph served by the LangGraph Agent Server (LangGraph Platform, {@code langgraph dev} or
 * {@code langgraph up}), driven over its REST API.
 *
 * <p><b>Threads.</b> One Skein session is one thread: its id is a name-based UUID of the agent
 * name and the session address, so every runner finds the same thread without storing anything,
 * and two LangGraph agents of one session never share a graph's state. The thread keeps the
 * graph's state, so a run sends only the new user message. Messages carry ids derived from
 * Skein's message sequence: the {@code add_messages} reducer replaces a message whose id it
 * already holds, so a step delivered twice does not add the user's message twice. The system
 * prompt, when set, is sent with the fixed id {@value #SYSTEM_MESSAGE_ID} for the same reason, and
 * the long-term memories recalled for a step (docs/memory.md) as a system message with the fixed
 * id {@value #MEMORIES_MESSAGE_ID}, which each step's memories replace.
 *
 * <p><b>Tools.</b> Skein runs tools, not the graph. The session's tools (including the
 * {@code transfer_to_<agent>} handoff tools) are passed in OpenAI function format as
 * {@code config.configurable.skein_tools}, which a graph can hand to {@code bind_tools}. A graph
 * asks Skein to run calls by pausing in a node that calls LangGraph's {@code interrupt()} with
 * <pre>{@code {"tool_calls": [{"id": "call_1", "name": "get_weather", "args": {"city": "Paris"}}]}}</pre>
 * The adapter returns those calls as {@link AgentReply.ToolCalls}; when the step after carries
 * their results, it resumes the run with
 * <pre>{@code {"command": {"resume": {"tool_results": [{"tool_call_id": "call_1", "content": "18C", "status": "success"}]}}}}</pre>
 * ({@code status} is {@code success} or {@code error}, as LangChain's {@code ToolMessage} has it),
 * and {@code interrupt()} returns that object to the node. With the option
 * {@code resume-format = tool-messages-list} the resume value is the list alone
 * ({@code [{"tool_call_id": ..., "content": ..., "status": ...}]}), which graphs written for
 * other callers read ({@link ResumeFormat}). With the default shape a node reads, in Python:
 * <pre>{@code
 * def run_tools(state):
 *     calls = state["messages"][-1].tool_calls
 *     answer = interrupt({"tool_calls": [{"id": c["id"], "name": c["name"], "args": c["args"]} for c in calls]})
 *     return {"messages": [ToolMessage(**result) for result in answer["tool_results"]]}
 * }</pre>
 * When several interrupts are pending at once, the resume is a map from interrupt id to the
 * results of that interrupt's calls, as LangGraph expects then. Any other interrupt value fails
 * the turn with a message saying what the graph sent. One call of a {@code transfer_to_<agent>}
 * tool naming an agent of {@link AgentSpec#handoffs()} becomes a {@link AgentReply.Handoff}.
 *
 * <p><b>Answers.</b> When the run ends without an interrupt, the answer is the text of the
 * thread's last AI message; its {@code usage_metadata} is reported as the step's usage. The
 * answer is not streamed token by token ({@code runs/wait}); it is sent to the delta sink whole.
 *
 * <p><b>Redelivery.</b> A step with tool results whose run was already resumed (the runner died
 * after resuming) is answered from the thread's state instead of resuming again.
 */
public final class LangGraphAgent implements AgentAdapter {

    static final String SYSTEM_MESSAGE_ID = "skein-system-prompt";
    /** The id of the system message that carries the long-term memories recalled for a step. */
    static final String MEMORIES_MESSAGE_ID = "skein-memories";

    private static final Logger log = LoggerFactory.getLogger(LangGraphAgent.class);

    private final AgentSpec spec;
    private final String assistantId;
    private final AgentServerClient server;
    private final ObjectMapper json;
    private final ResumeFormat resumeFormat;

    LangGraphAgent(
            AgentSpec spec,
            String assistantId,
            AgentServerClient server,
            ObjectMapper json,
            ResumeFormat resumeFormat) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.assistantId = Objects.requireNonNull(assistantId, "assistantId");
        this.server = Objects.requireNonNull(server, "server");
        this.json = Objects.requireNonNull(json, "json");
        this.resumeFormat = Objects.requireNonNull(resumeFormat, "resumeFormat");
    }

    @Override
    public String name() {
        return spec.name();
    }

    /** The thread of a session: stable across runners and restarts. */
    static String threadId(String agent, String sessionAddress) {
        return UUID.nameUUIDFromBytes(("skein/" + agent + "/" + sessionAddress).getBytes(StandardCharsets.UTF_8))
                .toString();
    }

    @Override
    public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) throws InterruptedException {
        String address = SessionAddress.key(invocation.getTenant(), invocation.getSessionId());
        String threadId = threadId(spec.name(), address);
        List<ChatMessage> results = trailingToolResults(invocation.getMessages());
        try {
            return results.isEmpty()
                    ? start(invocation, address, threadId, deltas)
                    : resume(invocation, address, threadId, results, deltas);
        } catch (AgentServerException e) {
            log.warn(
                    "[{} turn {} step {}] LangGraph thread {}: {} ({})",
                    address,
                    invocation.getTurnId(),
                    invocation.getStep(),
                    threadId,
                    e.getMessage(),
                    e.retryable() ? "retryable" : "not retryable");
            return e.retryable()
                    ? RetryBudget.askAgain(e.getMessage(), invocation)
                    : new AgentReply.Failure(e.getMessage(), false);
        } catch (IOException e) {
            // Connection reset, broken stream and the like: the server may be back in a moment.
            log.warn(
                    "[{} turn {} step {}] LangGraph thread {} unreachable",
                    address,
                    invocation.getTurnId(),
                    invocation.getStep(),
                    threadId,
                    e);
            return RetryBudget.askAgain("cannot reach the LangGraph Agent Server: " + e, invocation);
        }
    }

    private AgentReply start(AgentInvocation invocation, String address, String threadId, DeltaSink deltas)
            throws AgentServerException, IOException, InterruptedException {
        Optional<ChatMessage> question = lastUserMessage(invocation.getMessages());
        if (question.isEmpty()) {
            return new AgentReply.Failure("agent " + spec.name() + " has no user message to send to the graph", false);
        }
        ObjectNode metadata =
                json.createObjectNode().put("skein_session", address).put("skein_agent", spec.name());
        server.ensureThread(threadId, metadata);

        ArrayNode messages = json.createArrayNode();
        if (!spec.systemPrompt().isBlank()) {
            messages.addObject()
                    .put("role", "system")
                    .put("content", spec.systemPrompt())
                    .put("id", SYSTEM_MESSAGE_ID);
        }
        // The thread keeps the conversation but not the user's long-term memories. One fixed id:
        // the graph's add_messages reducer replaces the message each step instead of piling them up.
        MemoryMessage.in(invocation.getMessages())
                .ifPresent(memories -> messages.addObject()
                        .put("role", "system")
                        .put("content", memories)
                        .put("id", MEMORIES_MESSAGE_ID));
        ChatMessage user = question.get();
        messages.addObject()
                .put("role", "user")
                .put("content", user.getContent() == null ? "" : user.getContent())
                .put("id", "skein-" + user.getSequence());
        ObjectNode run = run(invocation, address);
        run.putObject("input").set("messages", messages);
        log.debug(
                "[{} turn {} step {}] starting a run of {} on thread {}",
                address,
                invocation.getTurnId(),
                invocation.getStep(),
                assistantId,
                threadId);
        failIfRunFailed(server.runAndWait(threadId, run));
        return outcome(ThreadState.from(server.state(threadId)), address, invocation, deltas);
    }

    private AgentReply resume(
            AgentInvocation invocation, String address, String threadId, List<ChatMessage> results, DeltaSink deltas)
            throws AgentServerException, IOException, InterruptedException {
        ThreadState state = ThreadState.from(server.state(threadId));
        Set<String> resultIds = new HashSet<>();
        results.forEach(result -> resultIds.add(result.getToolCallId()));
        if (state.interrupted()) {
            List<ThreadState.PendingCall> pending = state.pendingCalls();
            if (awaits(pending, resultIds)) {
                ObjectNode run = run(invocation, address);
                run.putObject("command").set("resume", resumeValue(pending, results));
                log.debug(
                        "[{} turn {} step {}] resuming thread {} with {} tool results",
                        address,
                        invocation.getTurnId(),
                        invocation.getStep(),
                        threadId,
                        results.size());
                failIfRunFailed(server.runAndWait(threadId, run));
                return outcome(ThreadState.from(server.state(threadId)), address, invocation, deltas);
            }
        }
        if (state.answered(resultIds)) {
            log.info(
                    "[{} turn {} step {}] thread {} already holds these tool results; answering from its state",
                    address,
                    invocation.getTurnId(),
                    invocation.getStep(),
                    threadId);
            return outcome(state, address, invocation, deltas);
        }
        return new AgentReply.Failure(
                "LangGraph thread " + threadId + " is not waiting for the results of " + resultIds
                        + (state.interrupted()
                                ? " (it is paused on other tool calls)"
                                : " (it has no pending interrupt)"),
                false);
    }

    // The pending calls are the ones these results answer: by id, or by count when the graph gave no ids.
    private static boolean awaits(List<ThreadState.PendingCall> pending, Set<String> resultIds) {
        boolean anyWithoutId = pending.stream().anyMatch(p -> p.call().callId() == null);
        if (anyWithoutId) {
            return pending.size() == resultIds.size();
        }
        return pending.stream().allMatch(p -> resultIds.contains(p.call().callId()));
    }

    private JsonNode resumeValue(List<ThreadState.PendingCall> pending, List<ChatMessage> results) {
        Map<String, List<ThreadState.PendingCall>> byInterrupt = ThreadState.byInterrupt(pending);
        if (byInterrupt.size() == 1 || pending.stream().anyMatch(p -> p.interruptId() == null)) {
            return resumeFormat.wrap(toolResults(results), json);
        }
        // Several interrupts pending: LangGraph resumes each by id, with the results of its own calls.
        ObjectNode resumeMap = json.createObjectNode();
        byInterrupt.forEach((interruptId, calls) -> {
            Set<String> ids = new HashSet<>();
            calls.forEach(c -> ids.add(c.call().callId()));
            List<ChatMessage> own = results.stream()
                    .filter(r -> ids.contains(r.getToolCallId()))
                    .toList();
            resumeMap.set(interruptId, resumeFormat.wrap(toolResults(own), json));
        });
        return resumeMap;
    }

    private ArrayNode toolResults(List<ChatMessage> results) {
        ArrayNode list = json.createArrayNode();
        for (ChatMessage result : results) {
            list.addObject()
                    .put("tool_call_id", result.getToolCallId())
                    .put("content", result.getContent() == null ? "" : result.getContent())
                    .put(
                            "status",
                            result.getToolStatus() == null || result.getToolStatus() == ToolStatus.OK
                                    ? "success"
                                    : "error");
        }
        return list;
    }

    /** The fields every run carries: the assistant, the session's tools and where it came from. */
    private ObjectNode run(AgentInvocation invocation, String address) {
        ObjectNode run = json.createObjectNode().put("assistant_id", assistantId);
        if (!invocation.getTools().isEmpty()) {
            ArrayNode tools = run.putObject("config").putObject("configurable").putArray("skein_tools");
            for (ToolDefinition tool : invocation.getTools()) {
                ObjectNode function = tools.addObject().put("type", "function").putObject("function");
                function.put("name", tool.getName()).put("description", tool.getDescription());
                function.set("parameters", schema(tool, address, invocation.getTurnId()));
            }
        }
        run.putObject("metadata")
                .put("skein_session", address)
                .put("skein_turn_id", invocation.getTurnId())
                .put("skein_step", invocation.getStep());
        return run;
    }

    private JsonNode schema(ToolDefinition tool, String address, String turnId) {
        try {
            return json.readTree(tool.getParametersSchema());
        } catch (JsonProcessingException e) {
            // The catalog validates schemas when tools register; an unreadable one still leaves the
            // tool callable, with arguments checked by the worker.
            log.warn(
                    "[{} turn {}] the parameters schema of tool {} is not JSON; sending an open object schema: {}",
                    address,
                    turnId,
                    tool.getName(),
                    e.getMessage());
            return json.createObjectNode().put("type", "object");
        }
    }

    // runs/wait answers 200 even when the graph raised: the output then is {"__error__": {...}}.
    private static void failIfRunFailed(JsonNode output) throws AgentServerException {
        JsonNode error = output.path("__error__");
        if (!error.isMissingNode() && !error.isNull()) {
            String kind = error.path("error").asText("Error");
            String message = error.path("message").asText(error.toString());
            throw new AgentServerException("the graph run failed: " + kind + ": " + message, false);
        }
    }

    private AgentReply outcome(ThreadState state, String address, AgentInvocation invocation, DeltaSink deltas)
            throws AgentServerException {
        if (state.interrupted()) {
            List<AgentReply.Call> calls = state.pendingCalls().stream()
                    .map(ThreadState.PendingCall::call)
                    .toList();
            Optional<JsonNode> asking = state.trailingAiMessage();
            String content = asking.map(ThreadState::text)
                    .filter(text -> !text.isBlank())
                    .orElse(null);
            AgentReply.Usage usage = asking.map(ThreadState::usage).orElse(AgentReply.Usage.UNKNOWN);
            if (calls.size() == 1) {
                Optional<String> target =
                        Handoffs.target(calls.getFirst().name()).filter(spec.handoffs()::contains);
                if (target.isPresent()) {
                    log.info(
                            "[{} turn {} step {}] graph hands the session to {}",
                            address,
                            invocation.getTurnId(),
                            invocation.getStep(),
                            target.get());
                    return new AgentReply.Handoff(calls.getFirst().callId(), target.get(), content, usage);
                }
            }
            log.info(
                    "[{} turn {} step {}] graph paused on tool calls {}",
                    address,
                    invocation.getTurnId(),
                    invocation.getStep(),
                    calls.stream().map(AgentReply.Call::name).toList());
            return new AgentReply.ToolCalls(content, calls, usage);
        }
        JsonNode answer = state.lastAiMessage()
                .orElseThrow(() -> new AgentServerException(
                        "the graph finished without an AI message in its \"messages\" channel", false));
        String text = ThreadState.text(answer);
        if (!text.isEmpty()) {
            deltas.text(text);
        }
        return new AgentReply.Answer(text, ThreadState.usage(answer));
    }

    private static List<ChatMessage> trailingToolResults(List<ChatMessage> messages) {
        int first = messages.size();
        while (first > 0 && messages.get(first - 1).getRole() == Role.TOOL) {
            first--;
        }
        return new ArrayList<>(messages.subList(first, messages.size()));
    }

    private static Optional<ChatMessage> lastUserMessage(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).getRole() == Role.USER) {
                return Optional.of(messages.get(i));
            }
        }
        return Optional.empty();
    }
}
