package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web UI's files under {@code /ui/}, on an ingress with authentication on: public, with strict
 * security headers and revalidated caching, while the data they show still needs a credential.
 */
class UiRoutesTest {

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

    @Test
    void theRootAndTheBarePrefixRedirectToTheUi() throws Exception {
        for (String path : List.of("/", "/ui")) {
            HttpResponse<String> answer = node.send("GET", path, null);
            assertThat(answer.statusCode()).as(path).isEqualTo(302);
            assertThat(answer.headers().firstValue("location")).as(path).hasValue("/ui/");
        }
    }

    @Test
    void theIndexIsPublicAndCarriesAPolicyWithoutInlineScriptOrFraming() throws Exception {
        HttpResponse<String> index = node.send("GET", "/ui/", null);

        assertThat(index.statusCode()).isEqualTo(200);
        assertThat(index.headers().firstValue("content-type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
        assertThat(index.body()).contains("<script type=\"module\" src=\"js/app.js\"></script>");
        String policy = index.headers().firstValue("content-security-policy").orElseThrow();
        assertThat(policy)
                .contains("default-src 'none'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'")
                .doesNotContain("unsafe-inline", "unsafe-eval", "*");
        assertThat(index.headers().firstValue("x-content-type-options")).hasValue("nosniff");
        assertThat(index.headers().firstValue("x-frame-options")).hasValue("DENY");
        assertThat(index.headers().firstValue("referrer-policy")).hasValue("no-referrer");
        assertThat(index.headers().firstValue("cache-control")).hasValue("no-cache");
    }

    @Test
    void theHtmlHasNoInlineScriptStyleOrEventHandlerThatThePolicyWouldBlock() throws Exception {
        String html = node.send("GET", "/ui/index.html", null).body();

        Matcher scripts = Pattern.compile("<script([^>]*)>").matcher(html);
        while (scripts.find()) {
            assertThat(scripts.group(1)).as("every script is a file").contains("src=");
        }
        assertThat(html).doesNotContainPattern("(?i)\\son[a-z]+\\s*=").doesNotContain("<style", "style=");
    }

    @Test
    void everyModuleTheIndexLoadsIsServedAsJavaScript() throws Exception {
        for (String file : List.of(
                "app.js", "api.js", "dom.js", "chat.js", "sessions.js", "trace.js", "pools.js", "prometheus.js")) {
            HttpResponse<String> module = node.send("GET", "/ui/js/" + file, null);
            assertThat(module.statusCode()).as(file).isEqualTo(200);
            assertThat(module.headers().firstValue("content-type"))
                    .as(file)
                    .hasValueSatisfying(type -> assertThat(type).contains("javascript"));
            assertThat(module.headers().firstValue("content-security-policy")).isPresent();
            // Server text is hostile: the modules build text nodes, never HTML.
            assertThat(module.body())
                    .as(file)
                    .doesNotContain("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(");
        }
        assertThat(node.send("GET", "/ui/app.css", null).headers().firstValue("content-type"))
                .hasValueSatisfying(type -> assertThat(type).startsWith("text/css"));
    }

    @Test
    void anUnchangedFileIsRevalidatedWithA304() throws Exception {
        HttpResponse<String> first = node.send("GET", "/ui/js/app.js", null);
        String lastModified = first.headers().firstValue("last-modified").orElseThrow();

        HttpResponse<String> again = node.send("GET", "/ui/js/app.js", null, "If-Modified-Since", lastModified);

        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
    }

    @Test
    void theDataBehindTheUiStillNeedsACredential() throws Exception {
        assertThat(node.send("GET", "/v1/sessions", null).statusCode()).isEqualTo(401);
        assertThat(node.send("GET", "/v1/workers", null).statusCode()).isEqualTo(401);
        assertThat(node.send("GET", "/v1/sessions", null, "Authorization", "Bearer " + node.acmeKey)
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void missingFilesTraversalAndOtherMethodsGetJsonErrorsAndNothingOutsideTheWebRoot() throws Exception {
        for (String path : List.of(
                "/ui/nope.js",
                "/ui/../pom.xml",
                "/ui/%2e%2e/%2e%2e/pom.xml",
                "/ui/..%2fIngressVerticle.class",
                "/ui/js/../../dev/skein/ingress/UiRoutes.class",
                "/ui/.hidden",
                "/ui/js/")) {
            HttpResponse<String> answer = node.send("GET", path, null);
            assertThat(answer.statusCode()).as(path).isBetween(400, 499);
            assertThat(new JsonObject(answer.body()).getString("error"))
                    .as(path)
                    .isNotBlank();
        }
        for (String method : List.of("POST", "PUT", "DELETE")) {
            HttpResponse<String> answer = node.send(method, "/ui/index.html", "{}");
            assertThat(answer.statusCode()).as(method).isEqualTo(405);
            assertThat(new JsonObject(answer.body()).getString("error")).contains("not allowed");
        }
    }
}
