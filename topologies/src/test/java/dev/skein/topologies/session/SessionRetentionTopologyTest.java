package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.START_MS;
import static dev.skein.topologies.session.SessionEvents.tool;
import static dev.skein.topologies.session.SessionEvents.worker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ChatMessage;
import dev.skein.events.CommandKind;
import dev.skein.events.SessionCommand;
import dev.skein.events.SessionMeta;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolResult;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.topologies.context.ContextBudget;
import dev.skein.topologies.context.ContextSettings;
import dev.skein.topologies.context.SummarySettings;
import dev.skein.topologies.context.Tokenizer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Session retention in the production topology, with the wall clock advanced: an idle session is
 * erased with a tombstone for each of its entries in every changelog, while an active one, one with
 * a turn in flight and one of a tenant that keeps its sessions are not; a turn after expiry starts a
 * new session; {@code DELETE_SESSION} erases on demand.
 */
class SessionRetentionTopologyTest {

    private static final String APP = "retention-test";
    private static final Duration TTL = Duration.ofHours(1);
    private static final Duration CHECK = Duration.ofMinutes(1);
    private static final List<String> CHANGELOGGED = List.of(
            SessionStores.MESSAGES,
            SessionStores.META,
            SessionStores.DEADLINES,
            SessionStores.SUMMARIES,
            SessionStores.TRACES,
            SessionStores.ACTIVITY);

    private SessionTopologyFixture session;
    private TestInputTopic<String, TurnRequested> turns;
    private TestInputTopic<String, AgentStep> steps;
    private TestInputTopic<String, ToolResult> results;
    private TestInputTopic<String, SessionCommand> commands;
    private TestOutputTopic<String, AgentInvocation> invocations;
    private TestOutputTopic<String, TurnCompleted> completions;

    private void start(SessionRetention retention, Duration turnTimeout) {
        start(TestSessionConfig.builder().retention(retention).turnTimeout(turnTimeout));
    }

    private void start(TestSessionConfig builder) {
        session = new SessionTopologyFixture(
                new SkeinTopics("skein.", new InMemorySchemaRegistry()),
                APP,
                builder.build(),
                Instant.ofEpochMilli(START_MS));
        turns = session.input(session.topics.turns);
        steps = session.input(session.topics.agentSteps);
        results = session.input(session.topics.toolResults);
        commands = session.input(session.topics.sessionCommands);
        invocations = session.output(session.topics.agentRequests);
        completions = session.output(session.topics.responses);
        session.addTools(tool("deploy", 0.5, false, true));
        session.addWorker(worker("w1", "small", 2, START_MS));
    }

    private void start(SessionRetention retention) {
        start(retention, Duration.ofMinutes(2));
    }

    @AfterEach
    void stop() {
        if (session != null) {
            session.close();
        }
    }

    @Test
    void anIdleSessionIsErasedWithATombstoneInEveryChangelogWhileAnActiveOneStays() throws Exception {
        start(new SessionRetention(TTL, Map.of(), CHECK, 1000));
        SessionAddress idle = new SessionAddress("acme", "idle");
        SessionAddress active = new SessionAddress("acme", "active");
        completeTurn(idle, "t1", "hello");
        completeTurn(idle, "t2", "again");
        assertThat(session.driver.getKeyValueStore(SessionStores.TRACES).all()).hasNext();

        session.driver.advanceWallClockTime(Duration.ofMinutes(40));
        completeTurn(active, "a1", "still here");
        session.driver.advanceWallClockTime(Duration.ofMinutes(21).plus(CHECK));

        assertErased(idle);
        assertThat(meta(active)).isNotNull();
        assertThat(history(active)).hasSize(2);
        Map<String, Map<Bytes, byte[]>> latest = latestInChangelogs();
        for (String store : CHANGELOGGED) {
            latest.get(store).forEach((key, value) -> {
                if (belongsTo(key, idle)) {
                    assertThat(value).as("latest %s record of %s", store, idle).isNull();
                }
            });
        }
        // The idle session had entries in these changelogs, and each now ends in a tombstone.
        for (String store :
                List.of(SessionStores.MESSAGES, SessionStores.META, SessionStores.TRACES, SessionStores.ACTIVITY)) {
            assertThat(latest.get(store).keySet().stream().filter(key -> belongsTo(key, idle)))
                    .as(store)
                    .isNotEmpty();
        }

        // The active one expires in its turn, once it too has been idle for the time to live.
        session.driver.advanceWallClockTime(Duration.ofMinutes(40));
        assertErased(active);
    }

    @Test
    void aSessionWithATurnInFlightOrAHeldApprovalIsNeverExpired() throws Exception {
        start(new SessionRetention(TTL, Map.of(), CHECK, 1000), Duration.ofHours(10));
        SessionAddress waiting = new SessionAddress("acme", "waiting");
        SessionAddress held = new SessionAddress("acme", "held");
        turns.pipeInput(waiting.toString(), turn(waiting, "w1", "think hard"));
        turns.pipeInput(held.toString(), turn(held, "h1", "deploy it"));
        steps.pipeInput(held.toString(), step(held, "h1", 0, new ToolCall("c1", "deploy", "{\"n\":1}")));
        assertThat(meta(held).getActiveTurn().getPendingCalls().getFirst().getAwaitingApproval())
                .isTrue();

        session.driver.advanceWallClockTime(Duration.ofHours(3));

        assertThat(meta(waiting).getActiveTurn().getTurnId()).isEqualTo("w1");
        assertThat(meta(held).getActiveTurn().getTurnId()).isEqualTo("h1");
        assertThat(completions.readValuesToList()).isEmpty();

        // Once the turn ends, the session is idle from then on, and expires a time to live later.
        steps.pipeInput(waiting.toString(), answer(waiting, "w1", 0, "done"));
        session.driver.advanceWallClockTime(Duration.ofMinutes(50));
        assertThat(meta(waiting)).isNotNull();
        session.driver.advanceWallClockTime(Duration.ofMinutes(11).plus(CHECK));
        assertErased(waiting);
        assertThat(meta(held)).isNotNull();
    }

    @Test
    void aMemoryExtractionKeepsItsSessionUntilItsTimeoutPasses() throws Exception {
        start(TestSessionConfig.builder()
                .retention(new SessionRetention(TTL, Map.of(), CHECK, 1000))
                .extraction(new ExtractionSettings("extractor", Set.of(), 10, Duration.ofHours(2))));
        SessionAddress address = new SessionAddress("acme", "remembering");
        // Memories are a user's: a turn with a user is extracted.
        TurnRequested first = turn(address, "t1", "my name is Ada");
        first.setUserId("ada");
        turns.pipeInput(address.toString(), first);
        steps.pipeInput(address.toString(), answer(address, "t1", 0, "hello Ada"));
        assertThat(meta(address).getPendingExtractions()).hasSize(1);

        session.driver.advanceWallClockTime(TTL.plus(CHECK).plus(CHECK));
        assertThat(meta(address))
                .as("idle past its time to live, but extracting")
                .isNotNull();

        session.driver.advanceWallClockTime(Duration.ofHours(1));
        assertErased(address);
    }

    @Test
    void aTurnAfterExpiryStartsANewSessionThatKnowsNothingOfTheOldOne() throws Exception {
        start(new SessionRetention(TTL, Map.of(), CHECK, 1000));
        SessionAddress address = new SessionAddress("acme", "again");
        completeTurn(address, "t1", "my name is Ada");
        session.driver.advanceWallClockTime(TTL.plus(CHECK).plus(CHECK));
        assertErased(address);

        turns.pipeInput(address.toString(), turn(address, "t2", "what is my name?"));

        AgentInvocation invocation = invocations.readValuesToList().getLast();
        assertThat(invocation.getTurnId()).isEqualTo("t2");
        assertThat(invocation.getMessages()).extracting(ChatMessage::getContent).containsExactly("what is my name?");
        SessionMeta fresh = meta(address);
        assertThat(fresh.getTurnsCompleted()).isZero();
        assertThat(fresh.getFirstSequence()).isZero();
        assertThat(fresh.getCreatedAtMs()).isGreaterThan(START_MS + TTL.toMillis());
        // A turn id of the erased session is not remembered either: it is a new session's turn.
        assertThat(fresh.getRecentTurnIds()).isEmpty();
    }

    @Test
    void eachTenantExpiresWithItsOwnTimeToLiveAndOffKeepsItsSessions() throws Exception {
        start(new SessionRetention(TTL, Map.of("brief", Duration.ofMinutes(10), "keep", Duration.ZERO), CHECK, 1000));
        SessionAddress brief = new SessionAddress("brief", "s");
        SessionAddress usual = new SessionAddress("acme", "s");
        SessionAddress kept = new SessionAddress("keep", "s");
        completeTurn(brief, "b1", "hi");
        completeTurn(usual, "u1", "hi");
        completeTurn(kept, "k1", "hi");

        session.driver.advanceWallClockTime(Duration.ofMinutes(12));
        assertErased(brief);
        assertThat(meta(usual)).isNotNull();

        session.driver.advanceWallClockTime(Duration.ofDays(30));
        assertErased(usual);
        assertThat(meta(kept)).isNotNull();
        assertThat(history(kept)).hasSize(2);
    }

    @Test
    void oneCheckErasesAtMostMaxPerCheckSessionsAndTheNextCheckTheRest() throws Exception {
        start(new SessionRetention(TTL, Map.of(), CHECK, 2));
        List<SessionAddress> addresses = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            SessionAddress address = new SessionAddress("acme", "s" + i);
            completeTurn(address, "t", "hi");
            addresses.add(address);
        }
        session.driver.advanceWallClockTime(TTL.plus(CHECK));
        assertThat(addresses.stream().filter(a -> meta(a) == null)).hasSize(2);
        session.driver.advanceWallClockTime(CHECK);
        assertThat(addresses.stream().filter(a -> meta(a) == null)).hasSize(4);
        session.driver.advanceWallClockTime(CHECK);
        addresses.forEach(this::assertErased);
    }

    @Test
    void deleteSessionCancelsItsTurnsOnceAndErasesItWhileALateAnswerDoesNotBringItBack() throws Exception {
        start(SessionRetention.OFF);
        SessionAddress address = new SessionAddress("acme", "gone");
        completeTurn(address, "t1", "hello");
        assertThat(completions.readValuesToList()).hasSize(1);
        turns.pipeInput(address.toString(), turn(address, "t2", "a long one"));
        turns.pipeInput(address.toString(), turn(address, "t3", "queued"));

        commands.pipeInput(address.toString(), command(address, CommandKind.DELETE_SESSION));

        List<TurnCompleted> ended = completions.readValuesToList();
        assertThat(ended).extracting(TurnCompleted::getTurnId).containsExactly("t2", "t3");
        assertThat(ended).extracting(TurnCompleted::getStatus).containsOnly(TurnStatus.CANCELLED);
        assertErased(address);
        assertThat(session.driver.getKeyValueStore(SessionStores.DEADLINES).all())
                .isExhausted();

        steps.pipeInput(address.toString(), answer(address, "t2", 0, "too late"));
        assertThat(meta(address)).isNull();
        assertThat(completions.readValuesToList()).isEmpty();
        Map<String, Map<Bytes, byte[]>> latest = latestInChangelogs();
        for (String store : CHANGELOGGED) {
            latest.get(store).forEach((key, value) -> {
                if (belongsTo(key, address)) {
                    assertThat(value)
                            .as("latest %s record of %s", store, address)
                            .isNull();
                }
            });
        }
    }

    @Test
    void aSessionDeletedAndStartedAgainInTheSameMillisecondHasItsTokensCountedAfresh() throws Exception {
        ContextBudget budget = new ContextBudget(100_000, 100, Tokenizer.CL100K_BASE, 60_000, null);
        start(TestSessionConfig.builder().context(new ContextSettings(budget, Map.of(), SummarySettings.OFF)));
        SessionAddress address = new SessionAddress("acme", "again");
        completeTurn(address, "t1", "word ".repeat(2000));
        int first = invocations.readValuesToList().getFirst().getContextTokens();

        // The wall clock does not move: the new session's first message reuses sequence 0.
        commands.pipeInput(address.toString(), command(address, CommandKind.DELETE_SESSION));
        completeTurn(address, "t2", "hi");
        // The newest message is always counted anew; "hi", sequence 0, is now an older one of the window.
        turns.pipeInput(address.toString(), turn(address, "t3", "there"));

        int fresh = invocations.readValuesToList().getLast().getContextTokens();
        assertThat(first).isGreaterThan(2000);
        // The tools offered and three short messages: with the erased session's count for sequence 0
        // it would be over 2,000.
        assertThat(fresh).isLessThan(100);
    }

    private void completeTurn(SessionAddress address, String turnId, String message) {
        turns.pipeInput(address.toString(), turn(address, turnId, message));
        steps.pipeInput(address.toString(), answer(address, turnId, 0, "ok: " + message));
    }

    private void assertErased(SessionAddress address) {
        assertThat(meta(address)).as("meta of %s", address).isNull();
        assertThat(history(address)).as("history of %s", address).isEmpty();
        assertThat(session.driver.getKeyValueStore(SessionStores.SUMMARIES).get(address.toString()))
                .isNull();
        for (String store : List.of(SessionStores.TRACES, SessionStores.ACTIVITY, SessionStores.DEADLINES)) {
            List<Bytes> left = new ArrayList<>();
            session.driver.<Bytes, Object>getKeyValueStore(store).all().forEachRemaining(kv -> {
                if (belongsTo(kv.key, address)) {
                    left.add(kv.key);
                }
            });
            assertThat(left).as("%s entries of %s", store, address).isEmpty();
        }
    }

    private SessionMeta meta(SessionAddress address) {
        return session.driver
                .<String, SessionMeta>getKeyValueStore(SessionStores.META)
                .get(address.toString());
    }

    private List<ChatMessage> history(SessionAddress address) {
        List<ChatMessage> messages = new ArrayList<>();
        session.driver
                .<Bytes, ChatMessage>getKeyValueStore(SessionStores.MESSAGES)
                .all()
                .forEachRemaining(kv -> {
                    if (belongsTo(kv.key, address)) {
                        messages.add(kv.value);
                    }
                });
        return messages;
    }

    /** True for a key of any session store layout that names {@code address}. */
    private static boolean belongsTo(Bytes key, SessionAddress address) {
        String text = new String(key.get(), StandardCharsets.ISO_8859_1);
        String tenant = address.tenant();
        String session = address.sessionId();
        return text.equals(address.toString())
                || text.startsWith(address + "\0")
                || text.endsWith(address.toString())
                || (text.startsWith(tenant + "\0")
                        && text.endsWith(session)
                        && text.length() == tenant.length() + 9 + session.length());
    }

    private static boolean belongsTo(Object key, SessionAddress address) {
        return key instanceof Bytes bytes
                ? belongsTo(bytes, address)
                : address.toString().equals(key);
    }

    /** The latest record of each key in each changelog topic the session.driver captured; null for a tombstone. */
    private Map<String, Map<Bytes, byte[]>> latestInChangelogs() {
        Map<String, Map<Bytes, byte[]>> latest = new HashMap<>();
        for (String store : CHANGELOGGED) {
            Map<Bytes, byte[]> byKey = new HashMap<>();
            TestOutputTopic<byte[], byte[]> changelog = session.driver.createOutputTopic(
                    SessionStores.changelogTopic(APP, store),
                    Serdes.ByteArray().deserializer(),
                    Serdes.ByteArray().deserializer());
            for (TestRecord<byte[], byte[]> record : changelog.readRecordsToList()) {
                byKey.put(Bytes.wrap(Arrays.copyOf(record.key(), record.key().length)), record.value());
            }
            latest.put(store, byKey);
        }
        return latest;
    }

    private static TurnRequested turn(SessionAddress address, String turnId, String message) {
        TurnRequested turn = SessionEvents.turn(turnId, message);
        turn.setTenant(address.tenant());
        turn.setSessionId(address.sessionId());
        return turn;
    }

    private static AgentStep answer(SessionAddress address, String turnId, int step, String content) {
        return at(address, SessionEvents.answer(turnId, step, content));
    }

    private static AgentStep step(SessionAddress address, String turnId, int step, ToolCall... calls) {
        return at(address, SessionEvents.toolCalls(turnId, step, calls));
    }

    private static AgentStep at(SessionAddress address, AgentStep step) {
        step.setTenant(address.tenant());
        step.setSessionId(address.sessionId());
        return step;
    }

    private static SessionCommand command(SessionAddress address, CommandKind kind) {
        SessionCommand command = SessionEvents.command(kind);
        command.setTenant(address.tenant());
        command.setSessionId(address.sessionId());
        return command;
    }
}
