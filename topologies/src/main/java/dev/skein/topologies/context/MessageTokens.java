package dev.skein.topologies.context;

import dev.skein.events.ChatMessage;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a message costs in tokens, remembered per (session, sequence, tokenizer): a history message
 * never changes under its sequence (sequences are never reused), so a count taken once holds, and a
 * pass over a long session counts only the messages that are new since the last pass.
 *
 * <p>Why in memory and not in the stored message: the count depends on the tokenizer of the agent
 * that reads the window, which a handoff or a configuration change switches; after a restart the
 * first pass of each session counts its window once more, which is what one pass costs anyway.
 * Bounded (least recently used out first), so memory does not grow with the number of sessions.
 */
public final class MessageTokens {

    /**
     * Per message, besides its text: the role and the separators a chat format adds. OpenAI's
     * cookbook counts 3 for gpt-3.5/4 and 4 for older models; 4 is the safe side.
     */
    public static final int MESSAGE_OVERHEAD = 4;

    /** A message's tokens: all of them, and those of its content alone (what truncation shortens). */
    public record Count(int total, int content) {}

    private final Map<String, Count> counts;

    public MessageTokens(int capacity) {
        this.counts = new LinkedHashMap<>(Math.min(capacity, 1 << 16), 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Count> eldest) {
                return size() > capacity;
            }
        };
    }

    /** The tokens of a stored message of the session at {@code address}, counted once. */
    public Count of(String address, ChatMessage message, Tokenizer tokenizer) {
        String key = address + '\u0000' + message.getSequence() + '\u0000' + tokenizer.ordinal();
        Count known = counts.get(key);
        if (known != null) {
            return known;
        }
        int content = tokenizer.count(message.getContent());
        Count counted = new Count(count(message, tokenizer, content), content);
        counts.put(key, counted);
        return counted;
    }

    /** The tokens of any message, uncached: overhead, text, tool name, and each call's name and arguments. */
    public static int count(ChatMessage message, Tokenizer tokenizer) {
        return count(message, tokenizer, tokenizer.count(message.getContent()));
    }

    private static int count(ChatMessage message, Tokenizer tokenizer, int content) {
        int tokens = MESSAGE_OVERHEAD + content + tokenizer.count(message.getToolName());
        for (ToolCall call : message.getToolCalls()) {
            tokens += MESSAGE_OVERHEAD + tokenizer.count(call.getName()) + tokenizer.count(call.getArgumentsJson());
        }
        return tokens;
    }

    /** The tokens of the tools offered with an invocation: each one's name, description and parameter schema. */
    public static int tools(List<ToolDefinition> tools, Tokenizer tokenizer) {
        int tokens = 0;
        for (ToolDefinition tool : tools) {
            tokens += MESSAGE_OVERHEAD
                    + tokenizer.count(tool.getName())
                    + tokenizer.count(tool.getDescription())
                    + tokenizer.count(tool.getParametersSchema());
        }
        return tokens;
    }

    /** The tokens of a system prompt as an adapter sends it (one system message); 0 when there is none. */
    public static int systemPrompt(String prompt, Tokenizer tokenizer) {
        return prompt == null || prompt.isBlank() ? 0 : MESSAGE_OVERHEAD + tokenizer.count(prompt);
    }
}
