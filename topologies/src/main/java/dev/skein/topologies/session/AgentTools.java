package dev.skein.topologies.session;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The tools each agent is offered ({@code skein.agents.definitions.<name>.tools}, else
 * {@code skein.agents.tools}): tool names or globs, where {@code *} stands for any run of
 * characters and {@code ?} for one ({@code mcp_files_*}). An agent is offered a tool of the catalog
 * when one of its patterns matches the name and its tenant may use the tool; a call of a tool it
 * was not offered is answered with an error result it can read, as a call of an unknown tool is.
 * Fewer tools leave more of the agent's context budget to the conversation.
 *
 * @param defaults the patterns of agents without a list of their own
 * @param byAgent patterns by agent name
 */
public record AgentTools(List<String> defaults, Map<String, List<String>> byAgent) {

    /** What a pattern may hold: a tool name's characters ({@code [a-z0-9_]}) and the two wildcards. Before {@link #ALL}, which is checked with it. */
    private static final Pattern VALID = Pattern.compile("[a-z0-9_*?]{1,64}");

    /** In a list: every tool. */
    public static final String EVERY = "*";

    /** Every agent is offered every tool. */
    public static final AgentTools ALL = new AgentTools(List.of(EVERY), Map.of());

    public AgentTools {
        defaults = checked(defaults, "skein.agents.tools");
        Map<String, List<String>> copy = new LinkedHashMap<>();
        byAgent.forEach((agent, patterns) ->
                copy.put(agent, checked(patterns, "skein.agents.definitions." + agent + ".tools")));
        byAgent = Map.copyOf(copy);
    }

    /** Whether {@code agent} is offered {@code tool}. */
    public boolean offers(String agent, String tool) {
        for (String pattern : patternsOf(agent)) {
            if (matches(pattern, tool)) {
                return true;
            }
        }
        return false;
    }

    /** The patterns of {@code agent}, for messages. */
    public List<String> patternsOf(String agent) {
        return byAgent.getOrDefault(agent, defaults);
    }

    static boolean matches(String pattern, String tool) {
        if (pattern.equals(EVERY)) {
            return true;
        }
        if (pattern.indexOf('*') < 0 && pattern.indexOf('?') < 0) {
            return pattern.equals(tool);
        }
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            // Everything else a pattern may hold ([a-z0-9_]) is literal in a regex.
            regex.append(c == '*' ? ".*" : c == '?' ? "." : String.valueOf(c));
        }
        return tool.matches(regex.toString());
    }

    private static List<String> checked(List<String> patterns, String key) {
        if (patterns == null) {
            throw new IllegalArgumentException(key + " must be a list of tool names or globs");
        }
        for (String pattern : patterns) {
            if (pattern == null || !VALID.matcher(pattern).matches()) {
                throw new IllegalArgumentException(key + ": '" + pattern
                        + "' is not a tool name or glob (1 to 64 of a-z 0-9 _, with * for any characters and"
                        + " ? for one)");
            }
        }
        return List.copyOf(patterns);
    }
}
