package dev.skein.topologies.session;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.schemas.ExtractionRequests;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The extractor agent's answer ({@link ExtractionRequests}): {@code {"memories": [...]}}, or the
 * bare list, each memory an object with {@code text} (and optionally {@code kind}, {@code entity},
 * {@code relations}) or a plain string, taken as a fact. Models often fence JSON in a Markdown code
 * block or put a sentence around it: the outermost object or list in the text is read. A memory
 * that is not one of these is skipped and counted; an answer with no JSON in it is refused.
 */
record ExtractionAnswer(List<String> rememberArguments, int skipped) {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> KINDS = Set.of("fact", "entity", "episode");

    /**
     * @return each memory as the arguments of a {@code remember} call
     * @throws IllegalArgumentException when the answer holds no memories list; the message says what it holds
     */
    static ExtractionAnswer parse(String answer) {
        JsonNode root = read(answer == null ? "" : answer.strip());
        JsonNode memories = root.isArray() ? root : root.path("memories");
        if (!memories.isArray()) {
            throw new IllegalArgumentException("the answer is JSON without a \"memories\" list");
        }
        List<String> arguments = new ArrayList<>();
        int skipped = 0;
        for (JsonNode memory : memories) {
            ObjectNode call = toCall(memory);
            if (call == null) {
                skipped++;
            } else {
                arguments.add(call.toString());
            }
        }
        return new ExtractionAnswer(List.copyOf(arguments), skipped);
    }

    private static JsonNode read(String text) {
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException whole) {
            int start = firstOf(text, '{', '[');
            int end = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
            if (start >= 0 && end > start) {
                try {
                    return JSON.readTree(text.substring(start, end + 1));
                } catch (JsonProcessingException inner) {
                    // Reported below with the whole answer's problem.
                }
            }
            throw new IllegalArgumentException("the answer is not JSON (" + whole.getOriginalMessage() + ")");
        }
    }

    private static ObjectNode toCall(JsonNode memory) {
        ObjectNode call = JSON.createObjectNode();
        if (memory.isTextual()) {
            return memory.asText().isBlank()
                    ? null
                    : call.put("text", memory.asText().strip());
        }
        JsonNode text = memory.path("text");
        if (!text.isTextual() || text.asText().isBlank()) {
            return null;
        }
        call.put("text", text.asText().strip());
        if (memory.path("kind").isTextual()) {
            String kind = memory.path("kind").asText().strip().toLowerCase(Locale.ROOT);
            if (!KINDS.contains(kind)) {
                return null;
            }
            call.put("kind", kind);
        }
        if (memory.path("entity").isTextual() && !memory.path("entity").asText().isBlank()) {
            call.put("entity", memory.path("entity").asText().strip());
        }
        if (memory.path("relations").isArray() && !memory.path("relations").isEmpty()) {
            ArrayNode relations = call.putArray("relations");
            for (JsonNode relation : memory.path("relations")) {
                if (!relation.isTextual()) {
                    return null;
                }
                relations.add(relation.asText());
            }
        }
        return call;
    }

    private static int firstOf(String text, char a, char b) {
        int i = text.indexOf(a);
        int j = text.indexOf(b);
        return i < 0 ? j : (j < 0 ? i : Math.min(i, j));
    }
}
