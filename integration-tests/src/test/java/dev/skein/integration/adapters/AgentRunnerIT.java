package dev.skein.integration.adapters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentRunner;
import dev.skein.adapters.DeltaSink;
import dev.skein.adapters.demo.DemoAgent;
import dev.skein.events.AgentDelta;
import dev.skein.events.AgentInvocation;
import dev.skein.events.AgentStep;
import dev.skein.events.ChatMessage;
import dev.skein.events.DeadLetter;
import dev.skein.events.DeltaKind;
import dev.skein.events.ResourceSpec;
import dev.skein.events.RetryPolicy;
import dev.skein.events.Role;
import dev.skein.events.StepKind;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnStatus;
import dev.skein.integration.fixtures.KafkaFixture;
import dev.skein.integration.fixtures.ProductDefaults;
import dev.skein.integration.fixtures.TopicReader;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The agent runner on a real broker: requests in, steps and deltas out, poison to dead letters. */
@Tag("adapters")
class AgentRunnerIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private String bootstrap;
    private SkeinTopics topics;
    private AgentRunner runner;
    private KafkaProducer<String, byte[]> producer;
    /** An agent that answers only when interrupted, as a model call that is told to stop. */
    private final WaitingAgent waiter = new WaitingAgent();

    @BeforeEach
    void startRunner() {
        bootstrap = KafkaFixture.bootstrapServers();
        topics = new SkeinTopics(KafkaFixture.uniqueName("it") + ".", new InMemorySchemaRegistry());
        KafkaFixture.createTopics(
                bootstrap,
                2,
                topics.agentRequests.name(),
                topics.agentSteps.name(),
                topics.deltas.name(),
                topics.deadLetters.name(),
                topics.responses.name());
        Map<String, Object> kafka = Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        runner = new AgentRunner(
                kafka,
                topics,
                List.of(new DemoAgent(), waiter),
                // Four consumers on two partitions: two share each (see the slow-call test).
                ProductDefaults.agentRunner(KafkaFixture.uniqueName("it-agents"))
                        .consumers(4)
                        .build());
        runner.start();
        producer = new KafkaProducer<>(
                Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(),
                new ByteArraySerializer());
    }

    @AfterEach
    void stop() {
        if (producer != null) {
            producer.close();
        }
        if (runner != null) {
            runner.close();
            assertThat(runner.isRunning()).isFalse();
        }
    }

    @Test
    void answersWithToolCallsAndFinalAnswersAndStreamsText() throws Exception {
        send(invocation("t1", "demo", "what is 12*7?"));
        send(invocation("t2", "", "hello there"));

        try (TopicReader<AgentStep> steps = new TopicReader<>(bootstrap, topics.agentSteps);
                TopicReader<AgentDelta> deltas = new TopicReader<>(bootstrap, topics.deltas)) {
            ConsumerRecord<String, AgentStep> calls =
                    steps.await(r -> r.value().getTurnId().equals("t1"), TIMEOUT);
            assertThat(calls.key()).isEqualTo("acme/s1");
            assertThat(calls.value().getKind()).isEqualTo(StepKind.TOOL_CALLS);
            assertThat(calls.value().getToolCalls())
                    .containsExactly(new ToolCall("call_t1_0_0", "calculator", "{\"expression\":\"12*7\"}"));

            AgentStep answer = steps.await(r -> r.value().getTurnId().equals("t2"), TIMEOUT)
                    .value();
            assertThat(answer.getKind()).isEqualTo(StepKind.FINAL);
            assertThat(answer.getAgent()).isEqualTo("demo");
            assertThat(answer.getContent()).startsWith("[demo agent] I understood \"hello there\"");

            AgentDelta text = deltas.await(
                            r -> r.value().getTurnId().equals("t2") && r.value().getKind() == DeltaKind.TEXT, TIMEOUT)
                    .value();
            assertThat(answer.getContent()).startsWith(text.getText());
            AgentDelta call = deltas.await(
                            r -> r.value().getTurnId().equals("t1") && r.value().getKind() == DeltaKind.TOOL_CALL,
                            TIMEOUT)
                    .value();
            assertThat(call.getCallId()).isEqualTo("call_t1_0_0");
        }
        // The counter moves just after the broker acked the step, so a reader may see the step first.
        await().atMost(TIMEOUT).until(() -> runner.processed() == 2);
    }

    @Test
    void anUnknownAgentGetsAClearError() throws Exception {
        send(invocation("t1", "gpt-9", "hi"));

        try (TopicReader<AgentStep> steps = new TopicReader<>(bootstrap, topics.agentSteps)) {
            AgentStep step = steps.await(r -> r.value().getTurnId().equals("t1"), TIMEOUT)
                    .value();
            assertThat(step.getKind()).isEqualTo(StepKind.ERROR);
            assertThat(step.getError()).isEqualTo("no agent named 'gpt-9' is configured (configured: demo, waiter)");
            assertThat(step.getRetryable()).isFalse();
        }
        await().atMost(TIMEOUT).until(() -> runner.failed() == 1);
    }

    @Test
    void aPoisonRecordIsDeadLetteredAndTheNextRequestStillAnswered() throws Exception {
        byte[] poison = "not avro".getBytes(StandardCharsets.UTF_8);
        producer.send(new ProducerRecord<>(topics.agentRequests.name(), "acme/s1", poison))
                .get();
        send(invocation("t2", "demo", "hello"));

        try (TopicReader<DeadLetter> letters = new TopicReader<>(bootstrap, topics.deadLetters);
                TopicReader<AgentStep> steps = new TopicReader<>(bootstrap, topics.agentSteps)) {
            ConsumerRecord<String, DeadLetter> letter = letters.await(r -> true, TIMEOUT);
            assertThat(letter.key()).isEqualTo("acme/s1");
            assertThat(letter.value().getTopic()).isEqualTo(topics.agentRequests.name());
            assertThat(letter.value().getComponent()).isEqualTo("agent-runner");
            assertThat(letter.value().getCause()).contains("not in Confluent's Avro wire format");
            assertThat(StandardCharsets.UTF_8.decode(letter.value().getValue()).toString())
                    .isEqualTo("not avro");

            assertThat(steps.await(r -> r.value().getTurnId().equals("t2"), TIMEOUT)
                            .value()
                            .getKind())
                    .isEqualTo(StepKind.FINAL);
        }
        // Stays at one: the poison was rejected, not released and delivered again.
        await().during(Duration.ofSeconds(3)).atMost(TIMEOUT).until(() -> runner.deadLettered() == 1);
    }

    @Test
    void aCallOfATurnThatEndsMeanwhileIsToldToStopAndItsLaterInvocationsAreNotRun() throws Exception {
        send(invocation("t1", "waiter", "take your time"));
        assertThat(waiter.started.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        // What the topology writes when a newer turn interrupts t1; again until seen, as the runner's
        // reader starts at the topic's end, wherever that was when it first polled.
        await().atMost(TIMEOUT).until(() -> {
            complete("t1");
            return waiter.interrupted.await(1, TimeUnit.SECONDS);
        });
        await().atMost(TIMEOUT).until(() -> runner.abandoned() == 1);
        // A redelivered or retried invocation of the ended turn is not run at all.
        send(invocation("t1", "waiter", "take your time"));
        await().atMost(TIMEOUT).until(() -> runner.abandoned() == 2);
        assertThat(waiter.calls.get()).isEqualTo(1);

        send(invocation("t2", "demo", "hello"));
        try (TopicReader<AgentStep> steps = new TopicReader<>(bootstrap, topics.agentSteps)) {
            steps.await(r -> r.value().getTurnId().equals("t2"), TIMEOUT);
            assertThat(steps.seen())
                    .as("no step is written for the ended turn")
                    .extracting(r -> r.value().getTurnId())
                    .containsExactly("t2");
        }
    }

    @Test
    void aSlowCallDoesNotHoldBackTheRequestsThatArriveWhileItRuns() throws Exception {
        send(invocation("t1", "waiter", "take your time"));
        assertThat(waiter.started.await(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isTrue();

        // Same key, so the same partition as the call that is still running. With one consumer
        // (skein.agents.consumers = 1, the default) this waited for the waiter's five minutes: a consumer polls again
        // only once its whole
        // batch is acknowledged, and Kafka gives a partition to one consumer alone until
        // consumers outnumber partitions.
        for (int i = 2; i <= 4; i++) {
            send(invocation("t" + i, "demo", "hello " + i));
        }

        try (TopicReader<AgentStep> steps = new TopicReader<>(bootstrap, topics.agentSteps)) {
            for (int i = 2; i <= 4; i++) {
                String turn = "t" + i;
                assertThat(steps.await(r -> r.value().getTurnId().equals(turn), TIMEOUT)
                                .value()
                                .getKind())
                        .isEqualTo(StepKind.FINAL);
            }
        }
        assertThat(waiter.interrupted.getCount())
                .as("the slow call is still running")
                .isEqualTo(1);
        assertThat(waiter.calls.get()).isEqualTo(1);
    }

    private void complete(String turnId) throws Exception {
        TurnCompleted done = TurnCompleted.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId(turnId)
                .setStatus(TurnStatus.CANCELLED)
                .setError("interrupted by turn t9, sent while it ran")
                .setSupersededBy("t9")
                .setCompletedAtMs(System.currentTimeMillis())
                .build();
        byte[] value = topics.responses.valueSerde().serializer().serialize(topics.responses.name(), done);
        producer.send(new ProducerRecord<>(topics.responses.name(), "acme/s1", value))
                .get();
    }

    private static final class WaitingAgent implements AgentAdapter {
        final CountDownLatch started = new CountDownLatch(1);
        final CountDownLatch interrupted = new CountDownLatch(1);
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public String name() {
            return "waiter";
        }

        @Override
        public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) throws Exception {
            calls.incrementAndGet();
            started.countDown();
            try {
                Thread.sleep(Duration.ofMinutes(5));
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
            throw new IllegalStateException("never told to stop");
        }
    }

    private void send(AgentInvocation invocation) throws Exception {
        byte[] value =
                topics.agentRequests.valueSerde().serializer().serialize(topics.agentRequests.name(), invocation);
        producer.send(new ProducerRecord<>(topics.agentRequests.name(), "acme/s1", value))
                .get();
    }

    private static AgentInvocation invocation(String turnId, String agent, String question) {
        ToolDefinition calculator = ToolDefinition.newBuilder()
                .setName("calculator")
                .setDescription("arithmetic")
                .setParametersSchema("{\"type\":\"object\"}")
                .setResources(ResourceSpec.newBuilder().build())
                .setRetry(RetryPolicy.newBuilder().build())
                .build();
        return AgentInvocation.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId(turnId)
                .setStep(0)
                .setAgent(agent)
                .setMessages(List.of(ChatMessage.newBuilder()
                        .setSequence(0L)
                        .setRole(Role.USER)
                        .setContent(question)
                        .setToolCalls(List.of())
                        .setTurnId(turnId)
                        .setTimestampMs(0L)
                        .build()))
                .setTools(List.of(calculator))
                .setDeadlineMs(System.currentTimeMillis() + 120_000)
                .setRequestedAtMs(System.currentTimeMillis())
                .build();
    }
}
