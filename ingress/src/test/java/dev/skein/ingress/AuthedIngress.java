package dev.skein.ingress;

import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.ingress.TestDoubles.FakeCatalog;
import dev.skein.ingress.TestDoubles.FakeHistory;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.ingress.auth.ApiKeys;
import dev.skein.ingress.auth.AuthConfig;
import dev.skein.ingress.auth.StoredKey;
import dev.skein.ingress.auth.TestTokens;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.TenantAccess;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Vertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An ingress with authentication on, for the isolation tests: API keys of two tenants (acme and
 * globex), a read-only acme key and an operator key from a store the test can change (to revoke),
 * tokens signed by {@link TestTokens}, acme limited to the agent {@code support} and the tool
 * {@code calculator}. Acme's session {@code s1} and globex's {@code s2} have histories whose
 * messages carry {@link #ACME_SECRET} and {@link #GLOBEX_SECRET}.
 */
final class AuthedIngress implements AutoCloseable {

    static final String ACME_SECRET = "ACME-PRIVATE-7f3a";
    static final String GLOBEX_SECRET = "GLOBEX-PRIVATE-91c2";

    final String acmeKey = ApiKeys.generate();
    final String acmeReaderKey = ApiKeys.generate();
    final String globexKey = ApiKeys.generate();
    final String operatorKey = ApiKeys.generate();
    final Map<String, StoredKey> keys = new ConcurrentHashMap<>();
    final RecordingGateway gateway = new RecordingGateway();
    final InMemorySessionEvents events = new InMemorySessionEvents();
    final FakeHistory history = new FakeHistory();
    final FakeCatalog catalog = new FakeCatalog();
    final Vertx signing = Vertx.vertx();
    final TestTokens tokens = new TestTokens(signing);
    final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    final SkeinIngress ingress;
    final int port;

    AuthedIngress(Path dir) throws Exception {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        put(acmeKey, "acme", dev.skein.ingress.auth.Role.USER);
        put(acmeReaderKey, "acme", dev.skein.ingress.auth.Role.READER);
        put(globexKey, "globex", dev.skein.ingress.auth.Role.USER);
        put(operatorKey, null, dev.skein.ingress.auth.Role.OPERATOR);
        history.reads = address -> switch (address.toString()) {
            case "acme/s1" -> Optional.of(session(address, ACME_SECRET));
            case "globex/s2" -> Optional.of(session(address, GLOBEX_SECRET));
            default -> Optional.empty();
        };
        history.traces = (address, turnId) -> address.toString().equals("acme/s1") && turnId.equals("t1")
                ? Optional.of(TraceRoutesTest.trace(ACME_SECRET))
                : Optional.empty();
        TenantAccess access = new TenantAccess(
                Map.of("acme", new TenantAccess.Rules(Set.of("support"), Set.of("calculator"))),
                TenantAccess.Rules.EVERYTHING);
        IngressConfig config = TestIngressConfig.builder()
                .waits(Duration.ofSeconds(2), Duration.ofSeconds(5))
                .auth(new AuthConfig(
                        true, false, List.of(), true, TestTokens.settings(tokens.writeJwks(dir.resolve("jwks.json")))))
                .access(access)
                .a2a(new A2aSettings(true, List.of("support", "demo"), "support", null, Map.of()))
                .build();
        // The listing knows both tenants' sessions: what a caller is shown must be its own only.
        SessionDirectory.SessionLister lister = tenant -> java.util.stream.Stream.of("acme/s1", "globex/s2")
                .filter(key -> key.startsWith(tenant + "/"))
                .map(key -> history.read(dev.skein.schemas.SessionAddress.parse(key))
                        .orElseThrow()
                        .meta());
        ingress = SkeinIngress.builder(
                        config, gateway, events, () -> new Health(Map.of("kafka", Health.Component.up("connected"))))
                .sessions(ClusterReads.single(history, lister))
                .catalog(catalog)
                .metrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT))
                .keys(id -> Optional.ofNullable(keys.get(id)))
                .build();
        port = ingress.start();
    }

    void put(String key, String tenant, dev.skein.ingress.auth.Role role) {
        keys.put(ApiKeys.idOf(key), new StoredKey(ApiKeys.idOf(key), ApiKeys.sha256(key), tenant, Set.of(role), null));
    }

    HttpResponse<String> send(String method, String path, String body, String... headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .method(
                        method,
                        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("content-type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            request.header(headers[i], headers[i + 1]);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * A WebSocket upgrade written by hand, so that a refused handshake's status and body can be read
     * (an accepted one times out here: use a WebSocket client for those).
     */
    RawHttp.Response upgrade(String path, String... headers) throws Exception {
        StringBuilder request = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                + "Sec-WebSocket-Version: 13\r\n");
        for (int i = 0; i < headers.length; i += 2) {
            request.append(headers[i]).append(": ").append(headers[i + 1]).append("\r\n");
        }
        try (var socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            socket.getOutputStream()
                    .write(request.append("\r\n").toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            return RawHttp.read(socket.getInputStream(), System.nanoTime());
        }
    }

    private static SessionView session(SessionAddress address, String secret) {
        long at = 1_735_689_600_000L;
        SessionMeta meta = SessionMeta.newBuilder()
                .setTenant(address.tenant())
                .setSessionId(address.sessionId())
                .setNextSequence(1)
                .setStatus(SessionStatus.IDLE)
                .setCreatedAtMs(at)
                .setUpdatedAtMs(at)
                .build();
        ChatMessage message = ChatMessage.newBuilder()
                .setSequence(0)
                .setRole(Role.USER)
                .setContent("the plan: " + secret)
                .setTurnId("t1")
                .setTimestampMs(at)
                .build();
        return new SessionView(meta, List.of(message));
    }

    @Override
    public void close() {
        http.close();
        ingress.close();
        signing.close();
    }
}
