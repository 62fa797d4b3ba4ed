package dev.skein.workers.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link AccessTokens} against a real HTTP server (the JDK's) that answers what token endpoints
 * answer, well and badly: the token is kept until shortly before it expires, and every bad answer
 * is a {@link AccessTokens.TokenEndpointException} that says what came back, without the secret.
 */
class AccessTokensTest {

    private static final String SECRET = "very-secret-value";

    private HttpServer server;
    private final AtomicInteger status = new AtomicInteger(200);
    private final AtomicReference<byte[]> body = new AtomicReference<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicReference<String> lastForm = new AtomicReference<>();

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/token", exchange -> {
            requests.incrementAndGet();
            lastForm.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] answer = body.get();
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(status.get(), answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private AccessTokens tokens(Clock clock) {
        return new AccessTokens(
                new OAuthClientCredentials(
                        URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/token"),
                        "c1",
                        SECRET,
                        List.of("a", "b c"),
                        null,
                        false),
                Duration.ofSeconds(5),
                clock);
    }

    private void answer(int code, String json) {
        status.set(code);
        body.set(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aTokenIsKeptUntilAQuarterOfItsLifetimeBeforeItExpiresThenFetchedAgain() {
        answer(200, "{\"access_token\":\"t1\",\"token_type\":\"Bearer\",\"expires_in\":100}");
        MutableClock clock = new MutableClock(Instant.parse("2026-12-01T00:00:00Z"));
        AccessTokens tokens = tokens(clock);
        assertThat(tokens.current()).isEqualTo("t1");
        assertThat(lastForm.get())
                .contains("grant_type=client_credentials")
                .contains("scope=a+b+c")
                .contains("client_id=c1")
                .doesNotContain("audience");
        clock.now = clock.now.plusSeconds(74);
        assertThat(tokens.current()).isEqualTo("t1");
        assertThat(requests.get()).isEqualTo(1);
        answer(200, "{\"access_token\":\"t2\",\"token_type\":\"bearer\",\"expires_in\":100}");
        clock.now = clock.now.plusSeconds(2);
        assertThat(tokens.current()).isEqualTo("t2");
        assertThat(requests.get()).isEqualTo(2);
        // A refused token is dropped only once: an older one's 401 does not drop the new one.
        tokens.invalidate("t1");
        assertThat(tokens.current()).isEqualTo("t2");
        tokens.invalidate("t2");
        answer(200, "{\"access_token\":\"t3\",\"token_type\":\"bearer\"}");
        assertThat(tokens.current()).isEqualTo("t3");
        assertThat(tokens.fetches()).isEqualTo(3);
    }

    @Test
    void everyBadAnswerSaysWhatCameBackAndNeverTheSecret() {
        List<String[]> cases = List.of(
                new String[] {"401", "{\"error\":\"invalid_client\"}", "answered 401 invalid_client"},
                new String[] {
                    "400", "{\"error\":\"invalid_scope\",\"error_description\":\"no b c\"}", "invalid_scope (no b c)"
                },
                new String[] {"500", "<html>oops</html>", "answered 500"},
                new String[] {"200", "not json at all", "no bearer access_token"},
                new String[] {"200", "{\"access_token\":\"x\",\"token_type\":\"mac\"}", "token_type 'mac'"},
                new String[] {"200", "{\"access_token\":\"\",\"token_type\":\"bearer\"}", "no bearer access_token"},
                new String[] {"200", "[1,2,3]", "no bearer access_token"},
                new String[] {"200", "", "no bearer access_token"},
                new String[] {"200", "{\"access_token\":\"" + "x".repeat(70_000) + "\"}", "more than 65536 bytes"});
        for (String[] c : cases) {
            answer(Integer.parseInt(c[0]), c[1]);
            assertThatThrownBy(() -> tokens(Clock.systemUTC()).current())
                    .as(c[1].length() > 60 ? c[1].substring(0, 60) : c[1])
                    .isInstanceOf(AccessTokens.TokenEndpointException.class)
                    .hasMessageContaining("the token endpoint http://127.0.0.1:")
                    .hasMessageContaining("(client c1)")
                    .hasMessageContaining(c[2])
                    .hasMessageNotContaining(SECRET);
        }
    }

    @Test
    void anEndpointThatIsNotThereIsAClearError() {
        server.stop(0);
        assertThatThrownBy(() -> tokens(Clock.systemUTC()).current())
                .isInstanceOf(AccessTokens.TokenEndpointException.class)
                .hasMessageContaining("cannot be reached");
    }

    private static final class MutableClock extends Clock {
        Instant now;

        MutableClock(Instant now) {
            this.now = now;
        }

        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    }
}
