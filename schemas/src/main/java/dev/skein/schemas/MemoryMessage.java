package dev.skein.schemas;

import dev.skein.events.ChatMessage;
import java.util.List;
import java.util.Optional;

/**
 * The system message of recalled long-term memories that the agent runner adds to an invocation
 * (docs/memory.md), told apart from the session's own messages by its turn id. Adapters that send
 * a remote agent only the turn's question (A2A, LangGraph) look for it here, so that the memories
 * reach those agents too.
 */
public final class MemoryMessage {

    /** The turn id of the memories' message: no client turn id can contain {@code ~}. */
    public static final String TURN_ID = "memories~recalled";

    private MemoryMessage() {}

    /** The text of the memories' message among {@code messages}, if the runner added one. */
    public static Optional<String> in(List<ChatMessage> messages) {
        return messages.stream()
                .filter(m -> TURN_ID.equals(m.getTurnId()) && m.getContent() != null)
                .map(ChatMessage::getContent)
                .findFirst();
    }
}
