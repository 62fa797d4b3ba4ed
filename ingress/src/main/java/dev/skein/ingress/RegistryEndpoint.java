package dev.skein.ingress;

import dev.skein.schemas.ClientText;
import dev.skein.schemas.registry.ListableSchemaRegistry;
import dev.skein.schemas.registry.SchemaRegistryException;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Confluent Schema Registry REST API (v1) under {@code /registry}, served from the node's
 * embedded registry so that Confluent's serializers, kcat, ksqlDB and Connect can read and write
 * Skein's topics: subjects, versions, schemas by id, look-up and registration of Avro schemas,
 * and a global compatibility level of {@code NONE} (the embedded registry checks none).
 *
 * <p>Registration is the embedded registry's own: idempotent, the id a function of the schema's
 * canonical form, what Skein's own serializers do before their first record. Every registry call
 * runs on a worker thread (a miss or a registration reads or writes the schemas topic), and so
 * does parsing the schema a request carries. Errors are Confluent's {@code {"error_code",
 * "message"}}, with its codes; a 5xx means the schemas topic failed, never bad input.
 */
final class RegistryEndpoint {

    /** Where the API is mounted: clients take {@code http://host:port/registry} as the registry URL. */
    static final String PREFIX = "/registry";

    private static final Logger log = LoggerFactory.getLogger(RegistryEndpoint.class);
    private static final int MAX_SUBJECT_CHARS = 255;
    private static final String ROUTES = "GET /registry/subjects, /subjects/{subject}/versions[/{version}|/latest"
            + "[/schema]], /schemas/ids/{id}[/schema|/versions], /schemas/types, /config[/{subject}];"
            + " POST /subjects/{subject} (look up), /subjects/{subject}/versions (register)";

    private final Vertx vertx;
    private final RegistryApi api;

    RegistryEndpoint(Vertx vertx, RegistryApi api) {
        this.vertx = vertx;
        this.api = api;
    }

    /** True for {@code /registry} and the paths under it. */
    static boolean isUnder(String path) {
        return path != null && (path.equals(PREFIX) || path.startsWith(PREFIX + "/"));
    }

    /** First on every {@code /registry} request: is a registry served, and in a media type the client takes? */
    void guard(RoutingContext ctx) {
        String mediaType = RegistryReply.negotiate(ctx.request().getHeader(HttpHeaders.ACCEPT));
        RegistryReply.negotiated(ctx, mediaType == null ? RegistryReply.V1 : mediaType);
        if (api.registry() == null) {
            RegistryReply.error(ctx, 404, 404, api.unavailable());
        } else if (mediaType == null) {
            RegistryReply.error(
                    ctx,
                    406,
                    406,
                    "cannot answer in any type of Accept "
                            + ClientText.quote(ctx.request().getHeader(HttpHeaders.ACCEPT))
                            + ": the registry answers " + RegistryReply.V1 + ", " + RegistryReply.GENERIC + " or "
                            + RegistryReply.JSON);
        } else if (ctx.request().method() == HttpMethod.POST
                && !RegistryReply.readable(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE))) {
            RegistryReply.error(
                    ctx,
                    415,
                    415,
                    "cannot read a body of Content-Type "
                            + ClientText.quote(ctx.request().getHeader(HttpHeaders.CONTENT_TYPE)) + ": send "
                            + RegistryReply.V1 + " (or " + RegistryReply.JSON + ")");
        } else {
            ctx.next();
        }
    }

    /** {@code GET /registry}: Confluent answers its root with an empty object; clients probe it. */
    void root(RoutingContext ctx) {
        RegistryReply.send(ctx, 200, "{}");
    }

    void subjects(RoutingContext ctx) {
        answer(ctx, registry -> new JsonArray(registry.subjects()).encode());
    }

    void versions(RoutingContext ctx) {
        String subject = ctx.pathParam("subject");
        answer(ctx, registry -> {
            JsonArray versions = new JsonArray();
            for (int v = 1; v <= idsOf(registry, subject).size(); v++) {
                versions.add(v);
            }
            return versions.encode();
        });
    }

    /** {@code GET /registry/subjects/{subject}/versions/{version|latest}}. */
    void version(RoutingContext ctx) {
        String subject = ctx.pathParam("subject");
        String version = ctx.pathParam("version");
        SubjectVersion.number(version);
        answer(ctx, registry -> {
            SubjectVersion found = SubjectVersion.of(registry, subject, version, idsOf(registry, subject));
            return found.json().encode();
        });
    }

    /** {@code GET /registry/subjects/{subject}/versions/{version}/schema}: the schema's own JSON. */
    void versionSchema(RoutingContext ctx) {
        String subject = ctx.pathParam("subject");
        String version = ctx.pathParam("version");
        SubjectVersion.number(version);
        answer(
                ctx,
                registry -> SubjectVersion.of(registry, subject, version, idsOf(registry, subject))
                        .schema()
                        .toString());
    }

    void schemaById(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        answer(
                ctx,
                registry -> new JsonObject()
                        .put("schema", schema(registry, id).toString())
                        .encode());
    }

    void schemaTextById(RoutingContext ctx) {
        String id = ctx.pathParam("id");
        answer(ctx, registry -> schema(registry, id).toString());
    }

    /** {@code GET /registry/schemas/ids/{id}/versions}: every subject and version with this schema. */
    void subjectsOfId(RoutingContext ctx) {
        String text = ctx.pathParam("id");
        answer(ctx, registry -> {
            schema(registry, text);
            int id = Integer.parseInt(text);
            JsonArray found = new JsonArray();
            for (String subject : registry.subjects()) {
                int version = registry.idsOf(subject).indexOf(id) + 1;
                if (version > 0) {
                    found.add(new JsonObject().put("subject", subject).put("version", version));
                }
            }
            return found.encode();
        });
    }

    void types(RoutingContext ctx) {
        RegistryReply.send(ctx, 200, new JsonArray().add("AVRO").encode());
    }

    /** {@code GET /registry/config[/{subject}]}: NONE, since the embedded registry checks no compatibility. */
    void config(RoutingContext ctx) {
        RegistryReply.send(
                ctx, 200, new JsonObject().put("compatibilityLevel", "NONE").encode());
    }

    /** {@code POST /registry/subjects/{subject}/versions}: registers (idempotent), answers {@code {"id": n}}. */
    void register(RoutingContext ctx) {
        String subject = ctx.pathParam("subject");
        requireValidSubject(subject);
        Buffer body = ctx.body().buffer();
        answer(
                ctx,
                registry -> new JsonObject()
                        .put("id", registry.register(subject, SchemaRequestBody.parse(body)))
                        .encode());
    }

    /** {@code POST /registry/subjects/{subject}}: the version of {@code subject} with this schema, or 40403. */
    void lookUp(RoutingContext ctx) {
        String subject = ctx.pathParam("subject");
        Buffer body = ctx.body().buffer();
        answer(ctx, registry -> {
            Schema schema = SchemaRequestBody.parse(body);
            String canonical = SchemaNormalization.toParsingForm(schema);
            List<Integer> ids = idsOf(registry, subject);
            for (int v = 1; v <= ids.size(); v++) {
                Schema known = registry.schemaById(ids.get(v - 1));
                if (SchemaNormalization.toParsingForm(known).equals(canonical)) {
                    return new SubjectVersion(subject, v, ids.get(v - 1), known)
                            .json()
                            .encode();
                }
            }
            throw RegistryRefusal.schemaNotFound(schema.getFullName() + " under subject " + ClientText.quote(subject)
                    + " (it has " + ids.size() + " versions)");
        });
    }

    /** The registry routes' failure handler: refusals thrown while parsing, oversized bodies; the rest is the router's. */
    void failure(RoutingContext ctx) {
        Throwable cause = ctx.failure();
        if (cause instanceof RegistryRefusal refused) {
            RegistryReply.error(ctx, refused.status(), refused.errorCode(), refused.getMessage());
        } else if (cause instanceof HttpFailure refused) {
            RegistryReply.error(ctx, refused.status(), refused.status(), refused.getMessage());
        } else if (ctx.statusCode() == 413) {
            RegistryReply.error(ctx, 413, 413, "the request body is too large for this ingress");
        } else {
            ctx.next();
        }
    }

    /** What the router's 404 and 405 answer under {@code /registry}. */
    void noRoute(RoutingContext ctx, int status) {
        String unavailable = api.unavailable();
        if (unavailable != null) {
            RegistryReply.error(ctx, 404, 404, unavailable);
        } else if (status == 405) {
            RegistryReply.error(
                    ctx,
                    405,
                    405,
                    "method " + ctx.request().method() + " is not allowed on "
                            + ctx.request().path() + "; the embedded registry serves " + ROUTES);
        } else {
            RegistryReply.error(
                    ctx,
                    404,
                    404,
                    "no registry route " + ctx.request().method() + " "
                            + ctx.request().path() + "; the embedded" + " registry serves " + ROUTES);
        }
    }

    /** Runs {@code work} on a worker thread and answers 200 with the JSON it returns. */
    private void answer(RoutingContext ctx, Function<ListableSchemaRegistry, String> work) {
        ListableSchemaRegistry registry = api.registry();
        vertx.executeBlocking(() -> work.apply(registry), false).onComplete(done -> {
            if (done.succeeded()) {
                RegistryReply.send(ctx, 200, done.result());
            } else {
                failed(ctx, done.cause());
            }
        });
    }

    private static void failed(RoutingContext ctx, Throwable cause) {
        String request = ctx.request().method() + " " + ctx.request().path();
        if (cause instanceof RegistryRefusal refused) {
            RegistryReply.error(ctx, refused.status(), refused.errorCode(), refused.getMessage());
        } else if (cause instanceof SchemaRegistryException e && e.errorCode() == 40403) {
            RegistryReply.error(ctx, 404, 40403, e.getMessage());
        } else if (cause instanceof SchemaRegistryException e && e.errorCode() == 409) {
            // A fingerprint collision: the message says how to change the schema.
            RegistryReply.error(ctx, 409, 409, e.getMessage());
        } else if (cause instanceof SchemaRegistryException e) {
            log.warn("{}: the schemas topic failed: {}", request, e.getMessage());
            RegistryReply.error(ctx, 500, 50001, "the schemas topic could not be read or written: " + e.getMessage());
        } else {
            log.error("{} failed", request, cause);
            RegistryReply.error(
                    ctx,
                    500,
                    50001,
                    "internal error while handling " + request + "; the server log has" + " the details");
        }
    }

    private static List<Integer> idsOf(ListableSchemaRegistry registry, String subject) {
        List<Integer> ids = registry.idsOf(subject);
        if (ids.isEmpty()) {
            throw RegistryRefusal.subjectNotFound(subject);
        }
        return ids;
    }

    private static Schema schema(ListableSchemaRegistry registry, String id) {
        int parsed;
        try {
            parsed = Integer.parseInt(id);
        } catch (NumberFormatException e) {
            parsed = 0;
        }
        if (parsed < 1) {
            throw RegistryRefusal.schemaNotFound("id " + ClientText.quote(id) + " (ids are positive integers)");
        }
        return registry.schemaById(parsed);
    }

    private static void requireValidSubject(String subject) {
        if (subject.isBlank()
                || subject.length() > MAX_SUBJECT_CHARS
                || subject.chars()
                        .anyMatch(c -> Character.isISOControl(c) || Character.isSurrogate((char) c) || c == 0xFFFD)) {
            throw new RegistryRefusal(
                    422,
                    42208,
                    "The specified subject is not valid: subjects have 1 to " + MAX_SUBJECT_CHARS
                            + " characters and no control characters (values of topic T use subject T-value)");
        }
    }
}
