package dev.skein.adapters.a2a;

import static dev.skein.adapters.http.RetryingHttpClient.abbreviate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.adapters.DeltaSink;
import dev.skein.adapters.RetryBudget;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.schemas.MemoryMessage;
import dev.skein.schemas.SessionAddress;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A remote agent that speaks the Agent2Agent protocol, version 0.3 (served by LangGraph, CrewAI,
 * Google ADK, Microsoft Agent Framework and the A2A SDKs), over its JSON-RPC binding.
 *
 * <p><b>A2A agents run their own tools.</b> The protocol has no way to hand a tool call back to
 * the caller, so this adapter always answers with {@link AgentReply.Answer} or
 * {@link AgentReply.Failure}, never {@link AgentReply.ToolCalls}; the session's tools and handoff
 * tools are not offered to the remote agent.
 *
 * <p><b>Discovery.</b> The agent card is read once, on the first step: from {@code card-url}, or
 * from {@code <base-url>/.well-known/agent-card.json} (protocol 0.3), falling back to
 * {@code /.well-known/agent.json} (earlier versions). Messages go to the card's {@code url}.
 *
 * <p><b>Conversation.</b> A remote agent keeps its own history per {@code contextId}, so each
 * step sends only the session's last user message, in the context whose id is a name-based UUID
 * of the agent name and the session address: every runner, and every restart, continues the
 * same context. The message id is derived from the session and the message's sequence, so a
 * step delivered twice sends the same message. A2A has no system role: a system prompt, when set,
 * travels in the message's {@code metadata} as {@code skein_system_prompt}, for agents that read it,
 * and so do the long-term memories recalled for the step, as {@code skein_memories} (docs/memory.md).
 *
 * <p><b>Input required.</b> A task that stops in {@code input-required} waits for the user's reply
 * in that task, whose id only the server knows (A2A servers assign task ids). The answer carries
 * the task id as its {@linkplain AgentReply.Answer#continuation() continuation} and says it awaits
 * input; Skein keeps both on the assistant message. When the last assistant message before the
 * user's newest message is this agent's and has a continuation, the message is sent with that
 * {@code taskId} (in the same context), so the task goes on. When the agent answers that it does
 * not know the task, or that the task is over (JSON-RPC {@code -32001} or {@code -32602}), the
 * message is sent once more as a new task, and the log says so.
 *
 * <p><b>Answers.</b> When the card says {@code capabilities.streaming} and streaming is enabled,
 * the adapter uses {@code message/stream} and sends the text of artifact updates to the delta
 * sink as it arrives; otherwise {@code message/send}, with {@code configuration.blocking} from
 * the {@code blocking} option. A task still {@code submitted} or {@code working} when the answer
 * (or the stream) ends is polled with {@code tasks/get} until it settles or the agent's timeout
 * passes: polling, because push notifications would need Skein to expose a webhook. Task states
 * map to replies as {@link TaskReplies} says. Token usage is not part of A2A and is not reported.
 */
public final class A2aAgent implements AgentAdapter {

    private static final Logger log = LoggerFactory.getLogger(A2aAgent.class);
    private static final Duration FIRST_POLL = Duration.ofMillis(100);
    private static final Duration MAX_POLL = Duration.ofSeconds(2);

    /** Where the card comes from: an exact URL, or a base URL to discover it under. */
    record CardSource(URI cardUrl, String baseUrl) {}

    private final AgentSpec spec;
    private final CardSource source;
    private final A2aClient client;
    private final boolean blocking;
    private final boolean streaming;
    private final ObjectMapper json;
    // Cards change with deployments, not between steps: read once per adapter.
    private final AtomicReference<AgentCard> card = new AtomicReference<>();

    A2aAgent(
            AgentSpec spec,
            CardSource source,
            A2aClient client,
            boolean blocking,
            boolean streaming,
            ObjectMapper json) {
        this.spec = Objects.requireNonNull(spec, "spec");
        this.source = Objects.requireNonNull(source, "source");
        this.client = Objects.requireNonNull(client, "client");
        this.blocking = blocking;
        this.streaming = streaming;
        this.json = Objects.requireNonNull(json, "json");
    }

    @Override
    public String name() {
        return spec.name();
    }

    /**
     * False: a message the agent received may be acted on (booked, sent, paid) even when no
     * answer came back in time, so a step that timed out is not asked again.
     */
    @Override
    public boolean mayRepeatUnanswered() {
        return false;
    }

    /** The A2A context of a session: stable across runners and restarts. */
    static String contextId(String agent, String sessionAddress) {
        return uuid("skein/" + agent + "/" + sessionAddress);
    }

    static String messageId(String agent, String sessionAddress, long sequence) {
        return uuid("skein/" + agent + "/" + sessionAddress + "/" + sequence);
    }

    private static String uuid(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }

    @Override
    public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) throws InterruptedException {
        String address = SessionAddress.key(invocation.getTenant(), invocation.getSessionId());
        List<ChatMessage> messages = invocation.getMessages();
        int questionAt = lastUserMessage(messages);
        if (questionAt < 0) {
            return new AgentReply.Failure(
                    "agent " + spec.name() + " has no user message to send to the A2A agent", false);
        }
        ChatMessage question = messages.get(questionAt);
        try {
            AgentCard agentCard = card();
            String messageId = messageId(spec.name(), address, question.getSequence());
            String taskId = continuedTask(messages, questionAt).orElse(null);
            long deadline = System.nanoTime() + spec.timeout().toNanos();
            AgentReply reply;
            try {
                reply = send(agentCard, invocation, address, question, messageId, taskId, deadline, deltas);
            } catch (A2aException e) {
                if (taskId == null || !e.taskCannotContinue()) {
                    throw e;
                }
                log.info(
                        "[{} turn {} step {}] A2A agent {} cannot continue task {} ({}); sending the message as a"
                                + " new task",
                        address,
                        invocation.getTurnId(),
                        invocation.getStep(),
                        agentCard.name(),
                        taskId,
                        e.getMessage());
                reply = send(agentCard, invocation, address, question, messageId, null, deadline, deltas);
            }
            log.info(
                    "[{} turn {} step {}] A2A agent {} answered with {}",
                    address,
                    invocation.getTurnId(),
                    invocation.getStep(),
                    agentCard.name(),
                    reply.getClass().getSimpleName());
            return reply;
        } catch (A2aException e) {
            log.warn(
                    "[{} turn {} step {}] A2A agent {}: {} ({})",
                    address,
                    invocation.getTurnId(),
                    invocation.getStep(),
                    spec.name(),
                    e.getMessage(),
                    e.retryable() ? "retryable" : "not retryable");
            return e.retryable()
                    ? RetryBudget.askAgain(e.getMessage(), invocation)
                    : new AgentReply.Failure(e.getMessage(), false);
        } catch (IOException e) {
            // Connection reset, broken stream and the like: the agent may be back in a moment.
            log.warn(
                    "[{} turn {} step {}] A2A agent {} unreachable",
                    address,
                    invocation.getTurnId(),
                    invocation.getStep(),
                    spec.name(),
                    e);
            return RetryBudget.askAgain("cannot reach the A2A agent " + spec.name() + ": " + e, invocation);
        }
    }

    private AgentCard card() throws A2aException, IOException, InterruptedException {
        AgentCard known = card.get();
        if (known != null) {
            return known;
        }
        AgentCard read = source.cardUrl() != null ? client.card(source.cardUrl()) : client.discover(source.baseUrl());
        log.info(
                "Agent {}: A2A agent card of '{}' at {} ({}, streaming {})",
                spec.name(),
                read.name(),
                read.rpcUrl(),
                read.binding(),
                read.streaming());
        card.compareAndSet(null, read);
        return read;
    }

    private AgentReply send(
            AgentCard agentCard,
            AgentInvocation invocation,
            String address,
            ChatMessage question,
            String messageId,
            String taskId,
            long deadline,
            DeltaSink deltas)
            throws A2aException, IOException, InterruptedException {
        ObjectNode params = params(invocation, address, question, messageId, taskId);
        return agentCard.streaming() && streaming
                ? streamed(agentCard, messageId, params, deadline, deltas, address, invocation.getTurnId())
                : sent(agentCard, messageId, params, deadline, deltas);
    }

    /**
     * The task the user's message at {@code questionAt} continues: the continuation of the last
     * assistant message before it, when that message is this agent's. Another agent's answer in
     * between (a handoff, a turn that named another agent) ends the task's claim on the reply.
     */
    private Optional<String> continuedTask(List<ChatMessage> messages, int questionAt) {
        for (int i = questionAt - 1; i >= 0; i--) {
            ChatMessage message = messages.get(i);
            if (message.getRole() == Role.ASSISTANT) {
                return spec.name().equals(message.getAgent())
                        ? Optional.ofNullable(message.getContinuation()).filter(id -> !id.isBlank())
                        : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** @param taskId the task the message continues, or null for a new task */
    private ObjectNode params(
            AgentInvocation invocation, String address, ChatMessage question, String messageId, String taskId) {
        ObjectNode params = json.createObjectNode();
        ObjectNode message = params.putObject("message")
                .put("kind", "message")
                .put("role", "user")
                .put("messageId", messageId)
                .put("contextId", contextId(spec.name(), address));
        if (taskId != null) {
            message.put("taskId", taskId);
        }
        message.putArray("parts")
                .addObject()
                .put("kind", "text")
                .put("text", question.getContent() == null ? "" : question.getContent());
        ObjectNode metadata = message.putObject("metadata")
                .put("skein_session", address)
                .put("skein_turn_id", invocation.getTurnId());
        if (!spec.systemPrompt().isBlank()) {
            metadata.put("skein_system_prompt", spec.systemPrompt());
        }
        // The remote agent keeps its own history but not the user's long-term memories: the ones
        // recalled for this step travel beside the question, for agents that read them.
        MemoryMessage.in(invocation.getMessages()).ifPresent(memories -> metadata.put("skein_memories", memories));
        ObjectNode configuration = params.putObject("configuration");
        configuration
                .putArray("acceptedOutputModes")
                .add("text/plain")
                .add("text/markdown")
                .add("application/json");
        configuration.put("blocking", blocking);
        return params;
    }

    private AgentReply sent(AgentCard agentCard, String messageId, ObjectNode params, long deadline, DeltaSink deltas)
            throws A2aException, IOException, InterruptedException {
        JsonNode result = client.call(agentCard, messageId, "message/send", params);
        AgentReply reply = switch (result.path("kind").asText()) {
            case "message" -> TaskReplies.fromMessage(result);
            case "task" -> TaskReplies.fromTask(agentCard.name(), settle(agentCard, messageId, result, deadline), null);
            default ->
                throw new A2aException(
                        "A2A agent " + agentCard.name() + " answered message/send with neither a task nor"
                                + " a message: " + abbreviate(result.toString()),
                        false);
        };
        if (reply instanceof AgentReply.Answer answer && !answer.content().isEmpty()) {
            deltas.text(answer.content());
        }
        return reply;
    }

    /** The task once settled: as given, or polled with {@code tasks/get} until it is. */
    private JsonNode settle(AgentCard agentCard, String messageId, JsonNode task, long deadline)
            throws A2aException, IOException, InterruptedException {
        JsonNode current = task;
        Duration wait = FIRST_POLL;
        for (int poll = 1; !TaskReplies.settled(TaskReplies.state(current)); poll++) {
            String taskId = current.path("id").asText(null);
            if (taskId == null) {
                throw new A2aException(
                        "A2A agent " + agentCard.name() + " answered with an unfinished task without an id: "
                                + abbreviate(current.toString()),
                        false);
            }
            if (System.nanoTime() + wait.toNanos() > deadline) {
                // The agent took the message and works on it: asking again would send it again.
                throw new A2aException(
                        "A2A agent " + agentCard.name() + " task " + taskId + " is still " + TaskReplies.state(current)
                                + " after " + spec.timeout().toSeconds() + " s; the message is not sent again, as"
                                + " the agent is acting on it",
                        false);
            }
            Thread.sleep(wait);
            wait = wait.multipliedBy(2).compareTo(MAX_POLL) > 0 ? MAX_POLL : wait.multipliedBy(2);
            ObjectNode query = json.createObjectNode().put("id", taskId);
            current = client.call(agentCard, messageId + "/poll-" + poll, "tasks/get", query);
        }
        return current;
    }

    private AgentReply streamed(
            AgentCard agentCard,
            String messageId,
            ObjectNode params,
            long deadline,
            DeltaSink deltas,
            String address,
            String turnId)
            throws A2aException, IOException, InterruptedException {
        StreamedTask task = new StreamedTask(json);
        client.stream(agentCard, messageId, params, result -> task.apply(result, deltas));
        AgentReply reply;
        if (task.message() != null) {
            reply = TaskReplies.fromMessage(task.message());
        } else if (task.task() == null) {
            throw new A2aException(
                    "A2A agent " + agentCard.name() + " ended its message/stream without a task or a message", true);
        } else if (!TaskReplies.settled(TaskReplies.state(task.task()))) {
            // The stream closed early (a proxy timeout, say): the task lives on, so ask for it.
            log.debug(
                    "[{} turn {}] the stream of task {} ended while {}; polling it",
                    address,
                    turnId,
                    task.task().path("id").asText(),
                    TaskReplies.state(task.task()));
            reply = TaskReplies.fromTask(agentCard.name(), settle(agentCard, messageId, task.task(), deadline), null);
        } else {
            reply = TaskReplies.fromTask(agentCard.name(), task.task(), task.answer());
        }
        // An answer that did not arrive in pieces (a status message, a polled task) still reaches the sink.
        if (reply instanceof AgentReply.Answer answer
                && !task.streamedText()
                && !answer.content().isEmpty()) {
            deltas.text(answer.content());
        }
        return reply;
    }

    /** The index of the last user message, or -1 when there is none. */
    private static int lastUserMessage(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).getRole() == Role.USER) {
                return i;
            }
        }
        return -1;
    }
}
