package dev.skein.memory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * An OpenAI-compatible {@code POST /v1/embeddings} endpoint (OpenAI, vLLM, Ollama, LocalAI...):
 * {@code {"model": m, "input": text}} answered by {@code {"data": [{"embedding": [...]}]}}. Every
 * record is tagged with the model's name, so an index of one model never mixes in another's.
 */
public final class OpenAiEmbedder implements Embedder {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI endpoint;
    private final String model;
    private final int dimensions;
    private final String apiKey;
    private final Duration timeout;
    private final HttpClient http;

    /**
     * @param baseUrl    e.g. {@code https://api.openai.com/v1}; {@code /embeddings} is appended
     * @param dimensions the length of the model's vectors (checked on every answer)
     * @param apiKey     sent as a bearer token; empty: none
     */
    public OpenAiEmbedder(String baseUrl, String model, int dimensions, String apiKey, Duration timeout) {
        this.endpoint = URI.create(baseUrl.replaceAll("/+$", "") + "/embeddings");
        this.model = model;
        this.dimensions = dimensions;
        this.apiKey = apiKey;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    @Override
    public String model() {
        return model;
    }

    @Override
    public int dimensions() {
        return dimensions;
    }

    @Override
    public float[] embed(String text) {
        try {
            HttpRequest.Builder request = HttpRequest.newBuilder(endpoint)
                    .timeout(timeout)
                    .header("content-type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(JSON.createObjectNode()
                            .put("model", model)
                            .put("input", text)
                            .toString()));
            if (!apiKey.isEmpty()) {
                request.header("authorization", "Bearer " + apiKey);
            }
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("the embeddings endpoint " + endpoint + " answered "
                        + response.statusCode() + ": " + abbreviated(response.body()));
            }
            JsonNode vector =
                    JSON.readTree(response.body()).path("data").path(0).path("embedding");
            if (!vector.isArray() || vector.size() != dimensions) {
                throw new IllegalStateException("the embeddings endpoint " + endpoint + " gave no vector of "
                        + dimensions + " numbers for " + model + ": " + abbreviated(response.body()));
            }
            float[] out = new float[dimensions];
            for (int i = 0; i < dimensions; i++) {
                out[i] = (float) vector.get(i).asDouble();
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot reach the embeddings endpoint " + endpoint, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while embedding", e);
        }
    }

    private static String abbreviated(String body) {
        return body.length() > 300 ? body.substring(0, 300) + "..." : body;
    }
}
