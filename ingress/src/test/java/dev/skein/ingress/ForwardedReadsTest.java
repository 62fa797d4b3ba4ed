package dev.skein.ingress;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.SessionMeta;
import dev.skein.events.SessionStatus;
import dev.skein.ingress.SessionDirectory.Kind;
import dev.skein.ingress.SessionDirectory.Location;
import dev.skein.ingress.TestDoubles.InMemorySessionEvents;
import dev.skein.ingress.TestDoubles.RecordingGateway;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.serde.AvroSerde;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two real ingresses, A and B, each with a directory that says which of them holds which session
 * (partition 0 is A's, 1 is B's): a read at either answers the same, forwarded to the owner and
 * relayed as it is; a moved session is found again; a dead owner's session is read from a standby,
 * marked stale, or answers 503; a forged forwarding mark is refused; the listing merges both.
 */
class ForwardedReadsTest {

    private static final String SECRET = "test-secret";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private final Instance a = new Instance(0);
    private final Instance b = new Instance(1);

    @BeforeEach
    void start() throws IOException {
        AvroSerde.of(ChatMessage.class, new InMemorySchemaRegistry());
        a.peer = b;
        b.peer = a;
        a.start();
        b.start();
        for (int i = 0; i < 6; i++) {
            // Sessions s0, s2, s4 live on A; s1, s3, s5 on B; each active a second later than the one before.
            Instance owner = i % 2 == 0 ? a : b;
            owner.held.put("acme/s" + i, session("acme", "s" + i, 1_000_000L + i * 1000));
        }
        b.held.put("other/s9", session("other", "s9", 2_000_000L));
    }

    @AfterEach
    void stop() {
        a.stop();
        b.stop();
    }

    @Test
    void aSessionReadsTheSameAtEveryInstanceAndSaysWhoServedIt() throws Exception {
        HttpResponse<String> viaA = get(a, "/v1/sessions/s1/history", "acme");
        HttpResponse<String> viaB = get(b, "/v1/sessions/s1/history", "acme");

        assertThat(viaA.statusCode()).as(viaA.body()).isEqualTo(200);
        assertThat(viaA.body()).isEqualTo(viaB.body());
        assertThat(new JsonObject(viaA.body()).getJsonArray("messages")).hasSize(1);
        assertThat(viaA.headers().firstValue("Skein-Served-By"))
                .contains(b.url().toString());
        assertThat(viaA.headers().firstValue("Skein-Stale")).isEmpty();
        assertThat(get(a, "/v1/sessions/nope/history", "acme").statusCode()).isEqualTo(404);
    }

    @Test
    void aTurnsTraceReadsTheSameAtEveryInstanceAndAnUnknownTurnIs404FromItsOwner() throws Exception {
        HttpResponse<String> viaA = get(a, "/v1/sessions/s1/turns/t-s1/trace", "acme");
        HttpResponse<String> viaB = get(b, "/v1/sessions/s1/turns/t-s1/trace", "acme");

        assertThat(viaA.statusCode()).as(viaA.body()).isEqualTo(200);
        assertThat(viaA.body()).isEqualTo(viaB.body()).contains("trace of acme/s1");
        assertThat(viaA.headers().firstValue("Skein-Served-By"))
                .contains(b.url().toString());
        HttpResponse<String> unknown = get(a, "/v1/sessions/s1/turns/t9/trace", "acme");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(new JsonObject(unknown.body()).getString("error"))
                .startsWith("turn t9 of session acme/s1 has no trace");
    }

    @Test
    void aSessionThatMovedIsLookedUpAgain() throws Exception {
        // A still thinks B has it; B has handed it to A already (a rebalance in between).
        Map<String, SessionView> held = Map.copyOf(b.held);
        b.held.clear();
        a.held.putAll(held);
        a.stale.add("acme/s3");

        HttpResponse<String> read = get(a, "/v1/sessions/s3/history", "acme");

        assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
        assertThat(read.headers().firstValue("Skein-Served-By"))
                .contains(a.url().toString());
    }

    @Test
    void aDeadOwnersSessionIsReadFromAStandbyMarkedStaleOrAnswers503() throws Exception {
        a.standbys.put("acme/s1", session("acme", "s1", 1_001_000L));
        b.stop();

        HttpResponse<String> stale = get(a, "/v1/sessions/s1/history", "acme");
        HttpResponse<String> none = get(a, "/v1/sessions/s3/history", "acme");

        assertThat(stale.statusCode()).as(stale.body()).isEqualTo(200);
        assertThat(stale.headers().firstValue("Skein-Stale")).contains("true");
        assertThat(none.statusCode()).isEqualTo(503);
        assertThat(new JsonObject(none.body()).getString("error")).contains("did not answer");
    }

    @Test
    void aRequestMarkedForwardedWithoutAGoodSignatureIsRefused() throws Exception {
        for (String signature : new String[] {null, "unsigned", "t=1,v=" + "0".repeat(64)}) {
            HttpRequest.Builder request = HttpRequest.newBuilder(b.url().resolve("/v1/sessions/s1/history"))
                    .header("X-Skein-Tenant", "acme")
                    .header("Skein-Forwarded-By", a.url().toString());
            if (signature != null) {
                request.header("Skein-Forward-Signature", signature);
            }
            HttpResponse<String> refused = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());

            assertThat(refused.statusCode()).as(String.valueOf(signature)).isEqualTo(401);
            assertThat(new JsonObject(refused.body()).getString("error")).contains("skein.cluster.secret");
        }
    }

    @Test
    void theListingMergesEveryInstanceNewestFirstPageByPageAndOnlyTheCallersTenant() throws Exception {
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            JsonObject page =
                    new JsonObject(get(a, "/v1/sessions?limit=4" + (cursor == null ? "" : "&cursor=" + cursor), "acme")
                            .body());
            assertThat(page.getBoolean("complete")).isTrue();
            page.getJsonArray("sessions").forEach(s -> seen.add(((JsonObject) s).getString("session")));
            cursor = page.getString("next");
        } while (cursor != null);

        assertThat(seen).containsExactly("s5", "s4", "s3", "s2", "s1", "s0");
        JsonObject other = new JsonObject(get(b, "/v1/sessions", "other").body());
        assertThat(other.getJsonArray("sessions"))
                .extracting(s -> ((JsonObject) s).getString("session"))
                .containsExactly("s9");
    }

    @Test
    void theListingSaysWhatIsMissingWhenAnInstanceIsDown() throws Exception {
        b.stop();

        JsonObject page = new JsonObject(get(a, "/v1/sessions", "acme").body());

        assertThat(page.getBoolean("complete")).isFalse();
        assertThat(page.getJsonArray("missingPartitions")).isEqualTo(new JsonArray().add(1));
        assertThat(page.getJsonArray("sessions"))
                .extracting(s -> ((JsonObject) s).getString("session"))
                .containsExactly("s4", "s2", "s0");
    }

    @Test
    void aBadListingQueryIs400() throws Exception {
        for (String query : List.of(
                "limit=0",
                "limit=x",
                "status=sleeping",
                "cursor=!!!",
                "cursor=bm90LWEtY3Vyc29y",
                "active-since=yesterday")) {
            HttpResponse<String> bad = get(a, "/v1/sessions?" + query, "acme");

            assertThat(bad.statusCode()).as(query).isEqualTo(400);
            assertThat(new JsonObject(bad.body()).getString("error")).isNotBlank();
        }
        JsonObject idle = new JsonObject(
                get(a, "/v1/sessions?status=awaiting_agent", "acme").body());
        assertThat(idle.getJsonArray("sessions")).isEmpty();
    }

    private static HttpResponse<String> get(Instance at, String path, String tenant) throws Exception {
        return HTTP.send(
                HttpRequest.newBuilder(at.url().resolve(path))
                        .header("X-Skein-Tenant", tenant)
                        .timeout(Duration.ofSeconds(20))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static SessionView session(String tenant, String id, long lastActivityMs) {
        SessionMeta meta = SessionMeta.newBuilder()
                .setTenant(tenant)
                .setSessionId(id)
                .setNextSequence(1)
                .setStatus(SessionStatus.IDLE)
                .setCreatedAtMs(lastActivityMs - 500)
                .setUpdatedAtMs(lastActivityMs)
                .build();
        ChatMessage user = ChatMessage.newBuilder()
                .setSequence(0)
                .setRole(Role.USER)
                .setContent("hello from " + id)
                .setTurnId("t-" + id)
                .setTimestampMs(lastActivityMs)
                .build();
        return new SessionView(meta, List.of(user));
    }

    /** One ingress with a directory of two instances: itself and its peer. */
    private static final class Instance implements SessionDirectory {
        final int partition;
        final int port;
        final Map<String, SessionView> held = new ConcurrentHashMap<>();
        final Map<String, SessionView> standbys = new ConcurrentHashMap<>();
        /** Sessions this instance wrongly believes its peer holds (until asked again). */
        final Set<String> stale = ConcurrentHashMap.newKeySet();

        Instance peer;
        SkeinIngress ingress;
        boolean up;

        Instance(int partition) {
            this.partition = partition;
            try (ServerSocket socket = new ServerSocket(0)) {
                this.port = socket.getLocalPort();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }

        void start() {
            ingress = SkeinIngress.builder(
                            TestIngressConfig.builder().port(port).build(),
                            new RecordingGateway(),
                            new InMemorySessionEvents(),
                            () -> new Health(Map.of()))
                    .sessions(new ClusterReads(this, SECRET, true, Duration.ofSeconds(2)))
                    .build();
            ingress.start();
            up = true;
        }

        void stop() {
            if (up) {
                up = false;
                ingress.close();
            }
        }

        URI url() {
            return URI.create("http://127.0.0.1:" + port);
        }

        @Override
        public Location locate(SessionAddress address) {
            String key = address.toString();
            if (stale.remove(key)) {
                return new Location(Kind.REMOTE, peer.url(), List.of());
            }
            if (held.containsKey(key)) {
                return new Location(Kind.LOCAL, null, List.of());
            }
            List<URI> standbyHosts = standbys.containsKey(key) ? List.of(url()) : List.of();
            return peer.held.containsKey(key) || !standbyHosts.isEmpty()
                    ? new Location(Kind.REMOTE, peer.url(), standbyHosts)
                    : new Location(Kind.LOCAL, null, List.of());
        }

        @Override
        public Optional<SessionView> read(SessionAddress address, boolean standbyAllowed) {
            SessionView view = held.get(address.toString());
            return Optional.ofNullable(view == null && standbyAllowed ? standbys.get(address.toString()) : view);
        }

        @Override
        public Optional<dev.skein.events.TurnTrace> trace(
                SessionAddress address, String turnId, boolean standbyAllowed) {
            SessionView view = held.get(address.toString());
            return view != null && turnId.equals("t-" + address.sessionId())
                    ? Optional.of(TraceRoutesTest.trace("trace of " + address))
                    : Optional.empty();
        }

        @Override
        public Listing list(String tenant, SessionQuery query) {
            return new Listing(
                    query.select(held.values().stream()
                            .map(SessionView::meta)
                            .filter(m -> m.getTenant().equals(tenant))),
                    Set.of(partition));
        }

        @Override
        public List<URI> instances() {
            return List.of(url(), peer.url());
        }

        @Override
        public URI self() {
            return url();
        }

        @Override
        public int partitions() {
            return 2;
        }
    }
}
