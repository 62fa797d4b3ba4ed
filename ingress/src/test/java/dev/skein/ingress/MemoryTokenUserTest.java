package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.ingress.auth.TestTokens;
import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A token stands for the user its {@code sub} names, on /v1/memory as on turns. A subject of
 * {@code *} is the name of the tenant's shared memory: taken as a user it would list, delete and
 * erase the memory every user of the tenant shares (DELETE /v1/memory with no user erases "its
 * own"). One with a '/' would split the {@code <tenant>/<user>/<id>} key (a 503 before). Both are
 * refused with a 403 before anything is read, on a node with memory on or off.
 */
class MemoryTokenUserTest {

    @TempDir
    static Path dir;

    private static AuthedIngress node;

    @BeforeAll
    static void start() throws Exception {
        node = new AuthedIngress(dir);
    }

    @AfterAll
    static void stop() {
        node.close();
    }

    @ParameterizedTest(name = "{0} {1} as sub {2}")
    @CsvSource({
        "GET,/v1/memory,*",
        "DELETE,/v1/memory,*",
        "DELETE,/v1/memory/m1,*",
        "GET,/v1/memory?user=*,*",
        "GET,/v1/memory,a/b",
        "DELETE,/v1/memory,a/b",
        "DELETE,/v1/memory/m1,a/b",
        "POST,/v1/sessions/s1/turns,*",
        "POST,/v1/sessions/s1/turns,a/b"
    })
    void aSubjectThatCannotBeAUserIsRefused(String method, String path, String subject) throws Exception {
        String token = node.tokens.hs256(TestTokens.claims("acme", "user").put("sub", subject));
        HttpResponse<String> response = node.send(
                method,
                path,
                method.equals("POST") ? "{\"message\":\"hi\"}" : null,
                "Authorization",
                "Bearer " + token);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(403);
        assertThat(new JsonObject(response.body()).getString("error")).contains("cannot be a user");
    }
}
