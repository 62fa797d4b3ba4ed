package dev.skein.ingress;

import dev.skein.events.AgentDelta;
import dev.skein.events.SessionCommand;
import dev.skein.events.ToolDefinition;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.WorkerHeartbeat;
import dev.skein.schemas.SessionAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/** In-memory stand-ins for the ingress's collaborators; each records what the ingress did with it. */
final class TestDoubles {

    private TestDoubles() {}

    static final class RecordingGateway implements TurnGateway {
        final List<TurnRequested> turns = new CopyOnWriteArrayList<>();
        final List<SessionCommand> commands = new CopyOnWriteArrayList<>();
        volatile Consumer<TurnRequested> onTurn = turn -> {};
        volatile RuntimeException failure;

        @Override
        public CompletableFuture<Void> submit(TurnRequested turn) {
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            turns.add(turn);
            onTurn.accept(turn);
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public CompletableFuture<Void> submit(SessionCommand command) {
            if (failure != null) {
                return CompletableFuture.failedFuture(failure);
            }
            commands.add(command);
            return CompletableFuture.completedFuture(null);
        }

        void reset() {
            turns.clear();
            commands.clear();
            onTurn = turn -> {};
            failure = null;
        }
    }

    /** Stream settings for tests: heartbeats often, two replay readers, a small backlog. */
    static final StreamSettings STREAMS = new StreamSettings(Duration.ofMillis(500), 2, 100, Duration.ofMinutes(15));

    /**
     * Publishes on the calling thread, like the Kafka reader thread: never a Vert.x thread. Live
     * only: a subscription with a position starts live too (the replay is KafkaSessionEvents').
     */
    static final class InMemorySessionEvents implements SessionEvents {
        final Map<String, CompletableFuture<TurnCompleted>> waiters = new ConcurrentHashMap<>();
        final Map<SessionAddress, List<SessionListener>> listeners = new ConcurrentHashMap<>();
        private final java.util.concurrent.atomic.AtomicLong offsets = new java.util.concurrent.atomic.AtomicLong();
        private final UnstartedEndings unstarted = new UnstartedEndings();

        @Override
        public java.util.Optional<TurnCompleted> unstartedEnding(SessionAddress address, String turnId) {
            return unstarted.find(address, turnId);
        }

        @Override
        public CompletableFuture<TurnCompleted> expect(SessionAddress address, String turnId) {
            return waiters.computeIfAbsent(address + "#" + turnId, k -> new CompletableFuture<>());
        }

        @Override
        public void forget(SessionAddress address, String turnId) {
            waiters.remove(address + "#" + turnId);
        }

        @Override
        public Subscription subscribe(SessionAddress address, StreamStart start, SessionListener listener) {
            listeners
                    .computeIfAbsent(address, a -> new CopyOnWriteArrayList<>())
                    .add(listener);
            return new Subscription() {
                @Override
                public CompletableFuture<Void> started() {
                    return CompletableFuture.completedFuture(null);
                }

                @Override
                public void close() {
                    listeners.get(address).remove(listener);
                }
            };
        }

        @Override
        public StreamSettings streamSettings() {
            return STREAMS;
        }

        void publish(TurnCompleted completed) {
            SessionAddress address = new SessionAddress(completed.getTenant(), completed.getSessionId());
            unstarted.observe(completed);
            CompletableFuture<TurnCompleted> waiter = waiters.remove(address + "#" + completed.getTurnId());
            if (waiter != null) {
                waiter.complete(completed);
            }
            // As the topology does: the completion goes to deltas too, where streams read it.
            publish(AgentDelta.newBuilder()
                    .setTenant(completed.getTenant())
                    .setSessionId(completed.getSessionId())
                    .setTurnId(completed.getTurnId())
                    .setStep(0)
                    .setKind(dev.skein.events.DeltaKind.TURN_COMPLETED)
                    .setTimestampMs(completed.getCompletedAtMs())
                    .setCompletion(completed)
                    .build());
        }

        void publish(AgentDelta delta) {
            SessionAddress address = new SessionAddress(delta.getTenant(), delta.getSessionId());
            StreamEvent event = new StreamEvent(new StreamPosition(0, offsets.getAndIncrement()), delta);
            listeners.getOrDefault(address, List.of()).forEach(l -> l.onEvent(event));
        }

        int subscribers(SessionAddress address) {
            return listeners.getOrDefault(address, List.of()).size();
        }

        void reset() {
            waiters.clear();
            listeners.clear();
        }
    }

    static final class FakeHistory implements HistoryReader {
        volatile Function<SessionAddress, Optional<SessionView>> reads = address -> Optional.empty();

        volatile java.util.function.BiFunction<SessionAddress, String, Optional<dev.skein.events.TurnTrace>> traces =
                (address, turnId) -> Optional.empty();

        @Override
        public Optional<SessionView> read(SessionAddress address) {
            return reads.apply(address);
        }

        @Override
        public Optional<dev.skein.events.TurnTrace> trace(SessionAddress address, String turnId) {
            return traces.apply(address, turnId);
        }
    }

    /** A catalog whose snapshots the test sets directly. */
    static final class FakeCatalog implements CatalogReader {
        volatile List<ToolDefinition> tools = List.of();
        volatile List<WorkerHeartbeat> workers = List.of();

        @Override
        public List<ToolDefinition> tools() {
            return tools;
        }

        @Override
        public List<WorkerHeartbeat> workers() {
            return workers;
        }
    }
}
