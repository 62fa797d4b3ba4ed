package dev.skein.adapters.langchain4j;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/** A tool call's arguments on their way from LangChain4j to the session. */
final class ToolArguments {

    // Exact decimals: re-writing 0.10 or a 30-digit integer must not change its value.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    private ToolArguments() {}

    /**
     * Valid JSON as one compact line; anything else exactly as it came. Some LangChain4j modules
     * (Anthropic's) pretty-print the object the model sent, which would put line breaks into every
     * stored call; text that is not JSON is kept so the session can show the model its mistake.
     */
    static String normalized(String arguments) {
        if (arguments == null || arguments.isBlank()) {
            return "{}";
        }
        try {
            JsonNode parsed = JSON.readTree(arguments);
            return parsed == null ? arguments : JSON.writeValueAsString(parsed);
        } catch (JsonProcessingException e) {
            return arguments;
        }
    }
}
