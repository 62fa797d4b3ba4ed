package dev.skein.adapters.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.skein.schemas.ExtractionRequests;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The demo agent's answer to a memory extraction request ({@link ExtractionRequests}), so that
 * extraction works with no model: in the user's lines of the transcript, each sentence that begins
 * {@code remember that ...} becomes the fact {@code ...}, and {@code my name is X} the fact
 * {@code The user's name is X} about the entity X. Nothing else is remembered.
 */
final class DemoExtraction {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String USER = "user: ";
    private static final Pattern SENTENCE = Pattern.compile("[^.!?\\n]+");
    private static final Pattern REMEMBER_THAT = Pattern.compile("(?i)^(?:please\\s+)?remember\\s+that\\s+(.+)$");
    private static final Pattern MY_NAME = Pattern.compile("(?i)^my name is\\s+([\\p{L}][\\p{L}' -]{0,60})$");

    private DemoExtraction() {}

    /** The answer's JSON: {@code {"memories": [...]}}, empty when the user said nothing to remember. */
    static String of(String request) {
        ObjectNode answer = JSON.createObjectNode();
        ArrayNode memories = answer.putArray("memories");
        for (String line : ExtractionRequests.transcript(request)) {
            if (!line.startsWith(USER)) {
                continue;
            }
            Matcher sentences = SENTENCE.matcher(line.substring(USER.length()));
            while (sentences.find()) {
                String sentence = sentences.group().strip();
                Matcher fact = REMEMBER_THAT.matcher(sentence);
                Matcher name = MY_NAME.matcher(sentence);
                if (fact.matches()) {
                    String text = fact.group(1).strip();
                    memories.addObject()
                            .put("text", Character.toUpperCase(text.charAt(0)) + text.substring(1))
                            .put("kind", "fact");
                } else if (name.matches()) {
                    String who = name.group(1).strip();
                    memories.addObject()
                            .put("text", "The user's name is " + who)
                            .put("kind", "fact")
                            .put("entity", who);
                }
            }
        }
        return answer.toString();
    }
}
