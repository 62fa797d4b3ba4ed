package dev.skein.adapters.openai;

import dev.skein.adapters.AgentReply;
import dev.skein.adapters.Handoffs;
import java.util.List;
import java.util.Optional;

/**
 * The assistant message a chat completion produced, streamed or not, and the decision it means.
 *
 * @param content the text, empty when there is none
 * @param calls the tool calls in the order the model made them, arguments exactly as produced
 * @param finishReason as the server reported it, or null when it reported none
 */
record ModelMessage(String content, List<AgentReply.Call> calls, AgentReply.Usage usage, String finishReason) {

    ModelMessage {
        content = content == null ? "" : content;
        calls = List.copyOf(calls);
        usage = usage == null ? AgentReply.Usage.UNKNOWN : usage;
    }

    /**
     * The step this message means for an agent that may hand off to {@code handoffs}. A single call
     * of an offered {@code transfer_to_<agent>} tool is a handoff; any other calls, even of tools
     * that were not offered or with arguments that are not JSON, go to the session as they are, so
     * it answers them with an error the model can correct.
     */
    AgentReply toReply(List<String> handoffs) {
        if (calls.size() == 1) {
            AgentReply.Call call = calls.getFirst();
            Optional<String> target = Handoffs.target(call.name()).filter(handoffs::contains);
            if (target.isPresent()) {
                return new AgentReply.Handoff(call.callId(), target.get(), content.isEmpty() ? null : content, usage);
            }
        }
        if (!calls.isEmpty()) {
            return new AgentReply.ToolCalls(content.isEmpty() ? null : content, calls, usage);
        }
        if (content.isEmpty()) {
            // An empty reply is usually a hiccup of sampling or of the server; asking again may help.
            return new AgentReply.Failure(
                    "the model returned neither text nor tool calls (finish reason: "
                            + (finishReason == null ? "none" : finishReason) + ")",
                    true);
        }
        return new AgentReply.Answer(content, usage);
    }
}
