package dev.skein.ingress;

import dev.skein.events.ChatMessage;
import dev.skein.events.SessionMeta;
import java.util.List;
import java.util.Objects;

/** A session as read from the stores: its state and its history in sequence order. */
public record SessionView(SessionMeta meta, List<ChatMessage> messages) {

    public SessionView {
        Objects.requireNonNull(meta, "meta");
        messages = List.copyOf(Objects.requireNonNull(messages, "messages"));
    }
}
