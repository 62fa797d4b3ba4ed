package dev.skein.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The OpenAI-compatible embedder against a local server that speaks the protocol. */
class OpenAiEmbedderTest {

    private final List<String> bodies = new ArrayList<>();
    private final List<String> authorizations = new ArrayList<>();
    private HttpServer server;

    private String serve(int status, String answer) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/embeddings", exchange -> {
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            authorizations.add(exchange.getRequestHeaders().getFirst("authorization"));
            byte[] bytes = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, bytes.length);
            exchange.getResponseBody().write(bytes);
            exchange.close();
        });
        server.start();
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/v1/";
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void postsTheTextAndReadsTheVector() throws IOException {
        String base = serve(200, "{\"object\":\"list\",\"data\":[{\"index\":0,\"embedding\":[0.5,-0.25,1]}]}");
        OpenAiEmbedder embedder = new OpenAiEmbedder(base, "tiny", 3, "sk-test", Duration.ofSeconds(5));

        assertThat(embedder.embed("hello")).containsExactly(0.5f, -0.25f, 1f);
        assertThat(bodies.getFirst()).isEqualTo("{\"model\":\"tiny\",\"input\":\"hello\"}");
        assertThat(authorizations.getFirst()).isEqualTo("Bearer sk-test");
    }

    @Test
    void aVectorOfAnotherLengthOrAnErrorIsRefused() throws IOException {
        String base = serve(200, "{\"data\":[{\"embedding\":[0.5]}]}");
        assertThatThrownBy(() -> new OpenAiEmbedder(base, "tiny", 3, "", Duration.ofSeconds(5)).embed("x"))
                .hasMessageContaining("no vector of 3 numbers");
        assertThat(authorizations.getFirst()).isNull();
        stop();
        String failing = serve(401, "{\"error\":{\"message\":\"bad key\"}}");
        assertThatThrownBy(() -> new OpenAiEmbedder(failing, "tiny", 3, "", Duration.ofSeconds(5)).embed("x"))
                .hasMessageContaining("401")
                .hasMessageContaining("bad key");
    }
}
