package dev.skein.adapters.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.DeltaSink;
import dev.skein.adapters.Handoffs;
import dev.skein.events.AgentInvocation;
import dev.skein.events.ChatMessage;
import dev.skein.events.InvocationPurpose;
import dev.skein.events.Role;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A deterministic agent that needs no model: Skein's embedded default and the agent of its tests.
 * Every answer starts with {@value #LABEL} so nobody mistakes it for a model.
 *
 * <p>A summary request (purpose SUMMARY) gets {@link DemoSummary}'s summary, a memory extraction
 * request (purpose EXTRACT) {@link DemoExtraction}'s memories. Otherwise, rules, first
 * match wins:
 * <ol>
 *   <li>tool results after the last user message: a final answer built from them (a failed or
 *       timed-out call is reported with the tool's reason; after {@code use tool}, a successful
 *       output as it is);</li>
 *   <li>the last user message reads {@code use tool NAME {json}} and the tool is available: call it
 *       with that arguments object (or {@code {}}), so that any tool, an imported MCP tool
 *       included, can be tried without a model;</li>
 *   <li>the last user message asks about primes and has a number, and {@code count_primes} is
 *       available: call it with {@code {"limit": N}} (checked before arithmetic because it is the
 *       more specific request);</li>
 *   <li>the last user message asks to multiply matrices and has a number, and
 *       {@code matrix_multiply} is available: call it with {@code {"size": N}} (a call for the
 *       large tier);</li>
 *   <li>the last user message asks about GPUs and {@code gpu_info} is available: call it (a call
 *       for the gpu tier);</li>
 *   <li>the last user message holds an arithmetic expression and {@code calculator} is available:
 *       call it with {@code {"expression": "..."}};</li>
 *   <li>otherwise a short answer saying what it understood and that it is a demo.</li>
 * </ol>
 */
public final class DemoAgent implements AgentAdapter {

    public static final String NAME = "demo";
    public static final String LABEL = "[demo agent] ";
    static final String CALCULATOR = "calculator";
    static final String COUNT_PRIMES = "count_primes";
    static final String MATRIX_MULTIPLY = "matrix_multiply";
    static final String GPU_INFO = "gpu_info";

    private static final Logger log = LoggerFactory.getLogger(DemoAgent.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    // Runs of characters that can form arithmetic; a run counts when it has an operator between numbers.
    private static final Pattern ARITHMETIC_RUN = Pattern.compile("[0-9.+\\-*/^%() ]+");
    private static final Pattern OPERATION = Pattern.compile("\\d\\s*\\)*\\s*[-+*/^%]\\s*[-(]*\\s*\\.?\\d");
    private static final Pattern USE_TOOL =
            Pattern.compile("(?is)\\buse tool ([a-z][a-z0-9_]{0,63})\\s*(\\{.*})?\\s*$");
    private static final Pattern PRIMES = Pattern.compile("(?i)\\bprimes?\\b");
    private static final Pattern NUMBER = Pattern.compile("\\d[\\d,_]*");
    private static final Pattern MATRICES = Pattern.compile("(?i)\\bmatri(?:x|ces)\\b");
    private static final Pattern GPUS = Pattern.compile("(?i)\\bgpus?\\b");
    private static final int WORDS_PER_CHUNK = 3;

    private final String name;

    public DemoAgent() {
        this(NAME);
    }

    /** A demo agent under another name (for example to try handoffs between two agents). */
    public DemoAgent(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) {
        List<ChatMessage> messages = invocation.getMessages();
        if (invocation.getPurpose() == InvocationPurpose.SUMMARY && !messages.isEmpty()) {
            String request = messages.getLast().getContent();
            return answer(DemoSummary.of(request == null ? "" : request), deltas);
        }
        if (invocation.getPurpose() == InvocationPurpose.EXTRACT && !messages.isEmpty()) {
            String request = messages.getLast().getContent();
            // JSON, not the demo label: the topology reads the answer, no person does.
            return new AgentReply.Answer(DemoExtraction.of(request == null ? "" : request));
        }
        int lastUser = lastUserIndex(messages);
        List<ChatMessage> toolResults = new ArrayList<>();
        for (int i = lastUser + 1; i < messages.size(); i++) {
            // A handoff's transfer result is how this agent got the turn, not an answer to use.
            if (messages.get(i).getRole() == Role.TOOL
                    && Handoffs.target(messages.get(i).getToolName()).isEmpty()) {
                toolResults.add(messages.get(i));
            }
        }
        String question = lastUser < 0 || messages.get(lastUser).getContent() == null
                ? ""
                : messages.get(lastUser).getContent();
        if (!toolResults.isEmpty()) {
            ChatMessage only = toolResults.getFirst();
            boolean ok = only.getToolStatus() == null || only.getToolStatus() == ToolStatus.OK;
            // "use tool": the output as it is, so a caller (Skein's /mcp) gets the tool's own answer.
            if (toolResults.size() == 1 && ok && USE_TOOL.matcher(question).find()) {
                return answer(LABEL + (only.getContent() == null ? "" : only.getContent()), deltas);
            }
            return answer(fromToolResults(messages, toolResults), deltas);
        }
        Matcher explicit = USE_TOOL.matcher(question);
        if (explicit.find() && offers(invocation, explicit.group(1))) {
            String arguments = explicit.group(2) == null ? "{}" : explicit.group(2);
            return new AgentReply.ToolCalls(null, List.of(new AgentReply.Call(null, explicit.group(1), arguments)));
        }
        Optional<Long> limit = primeLimit(question);
        if (limit.isPresent() && offers(invocation, COUNT_PRIMES)) {
            return call(COUNT_PRIMES, Map.of("limit", limit.get()));
        }
        Optional<Long> size = matrixSize(question);
        if (size.isPresent() && offers(invocation, MATRIX_MULTIPLY)) {
            return call(MATRIX_MULTIPLY, Map.of("size", size.get()));
        }
        if (GPUS.matcher(question).find() && offers(invocation, GPU_INFO)) {
            return call(GPU_INFO, Map.of());
        }
        Optional<String> expression = arithmetic(question);
        if (expression.isPresent() && offers(invocation, CALCULATOR)) {
            return call(CALCULATOR, Map.of("expression", expression.get()));
        }
        return answer(plainAnswer(question), deltas);
    }

    /** The first arithmetic expression in {@code text}, e.g. {@code "12*7"} from "what is 12*7?". */
    static Optional<String> arithmetic(String text) {
        Matcher runs = ARITHMETIC_RUN.matcher(text);
        while (runs.find()) {
            String candidate = balanceParentheses(trimTrailing(runs.group().strip()));
            if (OPERATION.matcher(candidate).find()) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The N of "primes below N" / "count primes up to N", when the text is about primes. */
    static Optional<Long> primeLimit(String text) {
        return numberAbout(PRIMES, text);
    }

    /** The N of "multiply two 500x500 matrices" / "matrix of size 300", when the text is about matrices. */
    static Optional<Long> matrixSize(String text) {
        return numberAbout(MATRICES, text);
    }

    // The number after the topic's word, else the first number anywhere, when the text names the topic.
    private static Optional<Long> numberAbout(Pattern topic, String text) {
        Matcher word = topic.matcher(text);
        if (!word.find()) {
            return Optional.empty();
        }
        // The number after the word ("primes below 100000", "matrix of size 300") first; else any
        // ("two 500x500 matrices").
        Matcher after = NUMBER.matcher(text).region(word.end(), text.length());
        Matcher anywhere = NUMBER.matcher(text);
        Matcher chosen = after.find() ? after : anywhere.find() ? anywhere : null;
        if (chosen == null) {
            return Optional.empty();
        }
        String digits = chosen.group().replaceAll("[,_]", "");
        try {
            return Optional.of(Long.parseLong(digits));
        } catch (NumberFormatException e) {
            // More digits than a long holds: let the user see what was understood instead of a wrong limit.
            return Optional.empty();
        }
    }

    private static String trimTrailing(String run) {
        String s = run;
        while (!s.isEmpty() && "+-*/^%.( ".indexOf(s.charAt(s.length() - 1)) >= 0) {
            s = s.substring(0, s.length() - 1);
        }
        return s.strip();
    }

    // "(so 3+4)" is cut into "3+4)" by the character runs: drop the parentheses that do not pair up.
    private static String balanceParentheses(String s) {
        String result = s;
        while (result.startsWith("(") && count(result, '(') > count(result, ')')) {
            result = result.substring(1).strip();
        }
        while (result.endsWith(")") && count(result, ')') > count(result, '(')) {
            result = result.substring(0, result.length() - 1).strip();
        }
        return result;
    }

    private static long count(String s, char c) {
        return s.chars().filter(ch -> ch == c).count();
    }

    private static int lastUserIndex(List<ChatMessage> messages) {
        for (int i = messages.size() - 1; i >= 0; i--) {
            if (messages.get(i).getRole() == Role.USER) {
                return i;
            }
        }
        return -1;
    }

    private static boolean offers(AgentInvocation invocation, String tool) {
        return invocation.getTools().stream().map(ToolDefinition::getName).anyMatch(tool::equals);
    }

    private static AgentReply call(String tool, Map<String, Object> arguments) {
        try {
            return new AgentReply.ToolCalls(
                    null, List.of(new AgentReply.Call(null, tool, JSON.writeValueAsString(arguments))));
        } catch (JsonProcessingException e) {
            // A map of a string or a number always serializes; reaching this is a bug, not a user error.
            throw new IllegalStateException("cannot write arguments for " + tool, e);
        }
    }

    private static String fromToolResults(List<ChatMessage> messages, List<ChatMessage> results) {
        List<String> sentences = new ArrayList<>();
        for (ChatMessage result : results) {
            String tool = result.getToolName() == null ? "the tool" : result.getToolName();
            String output =
                    result.getContent() == null ? "" : result.getContent().strip();
            ToolStatus status = result.getToolStatus() == null ? ToolStatus.OK : result.getToolStatus();
            JsonNode arguments = argumentsOf(messages, result.getToolCallId());
            sentences.add(
                    switch (status) {
                        case ERROR -> "The tool " + tool + " failed: " + output;
                        case TIMEOUT -> "The tool " + tool + " timed out: " + output;
                        case OK -> describeSuccess(tool, arguments, output);
                    });
        }
        return LABEL
                + String.join(" ", sentences.stream().map(DemoAgent::sentence).toList());
    }

    private static String describeSuccess(String tool, JsonNode arguments, String output) {
        if (CALCULATOR.equals(tool) && arguments.hasNonNull("expression")) {
            return arguments.get("expression").asText() + " = " + output;
        }
        if (MATRIX_MULTIPLY.equals(tool) || GPU_INFO.equals(tool)) {
            return output;
        }
        if (COUNT_PRIMES.equals(tool) && arguments.hasNonNull("limit")) {
            return "There are " + output + " primes below "
                    + arguments.get("limit").asText();
        }
        return tool + " returned: " + output;
    }

    private static String sentence(String s) {
        return s.endsWith(".") || s.endsWith("!") || s.endsWith("?") ? s : s + ".";
    }

    // The arguments of the call a tool message answers, from the assistant message that made it.
    private static JsonNode argumentsOf(List<ChatMessage> messages, String callId) {
        for (ChatMessage message : messages) {
            for (ToolCall call : message.getToolCalls()) {
                if (call.getCallId().equals(callId)) {
                    try {
                        return JSON.readTree(call.getArgumentsJson());
                    } catch (JsonProcessingException e) {
                        // Our own calls are valid JSON; an unreadable one just gets the generic sentence.
                        log.debug("Arguments of call {} are not JSON: {}", callId, e.getMessage());
                        return JSON.createObjectNode();
                    }
                }
            }
        }
        return JSON.createObjectNode();
    }

    private static String plainAnswer(String question) {
        String understood = question.isBlank()
                ? "an empty message"
                : "\"" + (question.length() > 120 ? question.substring(0, 117) + "..." : question.strip()) + "\"";
        return LABEL + "I understood " + understood + ", but I am Skein's built-in demo agent: I can only do"
                + " arithmetic with the calculator, count primes with count_primes, multiply matrices with"
                + " matrix_multiply (large tier) and ask the GPUs with gpu_info (gpu tier). Configure a model-backed"
                + " agent (see docs/adapters.md) for real answers.";
    }

    private static AgentReply answer(String content, DeltaSink deltas) {
        String[] words = content.split(" ");
        StringBuilder chunk = new StringBuilder();
        for (int i = 0; i < words.length; i++) {
            chunk.append(words[i]);
            if (i < words.length - 1) {
                chunk.append(' ');
            }
            if ((i + 1) % WORDS_PER_CHUNK == 0 || i == words.length - 1) {
                deltas.text(chunk.toString());
                chunk.setLength(0);
            }
        }
        return new AgentReply.Answer(content);
    }
}
