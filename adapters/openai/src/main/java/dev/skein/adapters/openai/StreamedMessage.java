package dev.skein.adapters.openai;

import com.openai.core.JsonField;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.completions.CompletionUsage;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.DeltaSink;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds one assistant message from streamed chunks: text is passed on to the sink as it arrives,
 * tool-call fragments are joined by their {@code index}, usage comes from the last chunk.
 *
 * <p>Written here rather than with the SDK's {@code ChatCompletionAccumulator}, which rejects
 * streams that compatible servers do send (chunks without {@code created}, a tool-call fragment
 * without {@code function}, a stream that ends without {@code finish_reason}). Only choice 0 is
 * read: Skein never asks for more than one.
 */
final class StreamedMessage {

    private static final class PartialCall {
        String id;
        String name;
        final StringBuilder arguments = new StringBuilder();
    }

    private final StringBuilder content = new StringBuilder();
    private final StringBuilder refusal = new StringBuilder();
    private final Map<Long, PartialCall> calls = new TreeMap<>();
    private Long lastIndex;
    private AgentReply.Usage usage = AgentReply.Usage.UNKNOWN;
    private String finishReason;

    void accept(ChatCompletionChunk chunk, DeltaSink deltas) {
        chunk.usage().ifPresent(reported -> usage = usage(reported));
        for (ChatCompletionChunk.Choice choice : chunk._choices().asKnown().orElse(List.of())) {
            if (choice._index().asKnown().orElse(0L) != 0L) {
                continue;
            }
            choice.finishReason().ifPresent(reason -> finishReason = reason.asString());
            // Some servers end with a chunk that carries only finish_reason, without a delta.
            choice._delta().asKnown().ifPresent(delta -> accept(delta, deltas));
        }
    }

    private void accept(ChatCompletionChunk.Choice.Delta delta, DeltaSink deltas) {
        delta.content().filter(text -> !text.isEmpty()).ifPresent(text -> {
            content.append(text);
            deltas.text(text);
        });
        // A refusal is what the user gets instead of an answer: shown the same way.
        delta.refusal().filter(text -> !text.isEmpty()).ifPresent(text -> {
            refusal.append(text);
            deltas.text(text);
        });
        delta.toolCalls().ifPresent(fragments -> fragments.forEach(this::acceptToolCall));
    }

    private void acceptToolCall(ChatCompletionChunk.Choice.Delta.ToolCall fragment) {
        // Some servers leave out the index: a fragment with an id starts a new call, one without
        // continues the last.
        long index = fragment._index()
                .asKnown()
                .orElseGet(() -> lastIndex == null || fragment.id().isPresent() ? calls.size() : lastIndex);
        lastIndex = index;
        PartialCall call = calls.computeIfAbsent(index, i -> new PartialCall());
        fragment.id().filter(id -> !id.isEmpty()).ifPresent(id -> call.id = id);
        fragment.function().ifPresent(function -> {
            function.name().filter(name -> !name.isEmpty()).ifPresent(name -> call.name = name);
            function.arguments().ifPresent(call.arguments::append);
        });
    }

    /**
     * The message as streamed so far (the whole message once the stream ended).
     *
     * @throws MalformedReplyException when a tool call never received its name
     */
    ModelMessage complete() {
        List<AgentReply.Call> complete = new ArrayList<>(calls.size());
        for (Map.Entry<Long, PartialCall> entry : calls.entrySet()) {
            PartialCall call = entry.getValue();
            if (call.name == null) {
                throw new MalformedReplyException(
                        "the streamed tool call at index " + entry.getKey() + " never named its tool");
            }
            complete.add(new AgentReply.Call(call.id, call.name, arguments(call.arguments.toString())));
        }
        return new ModelMessage(content.toString() + refusal, complete, usage, finishReason);
    }

    /** A tool without parameters is often called with no arguments at all: that means {}. */
    static String arguments(String streamed) {
        return streamed.isBlank() ? "{}" : streamed;
    }

    static AgentReply.Usage usage(CompletionUsage usage) {
        return new AgentReply.Usage(known(usage._promptTokens()), known(usage._completionTokens()));
    }

    private static Long known(JsonField<Long> field) {
        return field.asKnown().orElse(null);
    }
}
