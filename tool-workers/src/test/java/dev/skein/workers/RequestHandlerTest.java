package dev.skein.workers;

import static dev.skein.workers.WorkerFixture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.skein.events.AgentDelta;
import dev.skein.events.DeltaKind;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.builtin.BuiltinTools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RequestHandlerTest {

    private final List<Tool> tools = new ArrayList<>(BuiltinTools.all());
    private WorkerFixture worker;

    @AfterEach
    void close() {
        if (worker != null) {
            worker.close();
        }
    }

    @Test
    void aCallThatFitsRunsIsAnsweredUnderItsSessionAddressAndAccepted() throws Exception {
        worker = new WorkerFixture(Resources.DEFAULT.withCpus(2), tools);

        AcknowledgeType ack = worker.handler.handle(
                WorkerFixture.TIER, worker.record(request("calculator", "{\"expression\":\"6*7\"}"), 1));

        assertThat(ack).isEqualTo(AcknowledgeType.ACCEPT);
        List<ProducerRecord<String, ToolResult>> results = worker.written(worker.topics.toolResults);
        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("acme/s1");
            assertThat(r.value().getStatus()).isEqualTo(ToolStatus.OK);
            assertThat(r.value().getOutput()).isEqualTo("42");
            // Where the request was, for the turn's decision trace.
            assertThat(r.value().getRequestPartition()).isEqualTo(2);
            assertThat(r.value().getRequestOffset()).isEqualTo(17L);
            assertThat(r.value().getStartedAtMs()).isPositive();
        });
        assertThat(worker.written(worker.topics.deltas))
                .extracting(ProducerRecord::value)
                .extracting(AgentDelta::getKind, AgentDelta::getTier, AgentDelta::getWorker)
                .containsExactly(
                        org.assertj.core.groups.Tuple.tuple(DeltaKind.TOOL_STARTED, "small", "w1"),
                        org.assertj.core.groups.Tuple.tuple(DeltaKind.TOOL_FINISHED, "small", "w1"));
        assertThat(worker.handler.completed()).isEqualTo(1);
        assertThat(worker.handler.failed()).isZero();
        assertThat(worker.admission.admitted()).isEqualTo(1);
        assertThat(worker.admission.inUse()).isEqualTo(Resources.NONE);
    }

    @Test
    void aCallThatNeverFitsIsReleasedUntilTheDeliveryLimitThenAnswered() throws Exception {
        tools.add(Tools.define("render").gpus(1).handler(arguments -> "done"));
        worker = new WorkerFixture(Resources.DEFAULT.withCpus(2), tools);

        assertThat(worker.handler.handle(WorkerFixture.TIER, worker.record(request("render", "{}"), 2)))
                .isEqualTo(AcknowledgeType.RELEASE);
        assertThat(worker.written(worker.topics.toolResults)).isEmpty();
        assertThat(worker.admission.released()).isEqualTo(1);

        assertThat(worker.handler.handle(WorkerFixture.TIER, worker.record(request("render", "{}"), 3)))
                .isEqualTo(AcknowledgeType.ACCEPT);
        assertThat(worker.written(worker.topics.toolResults)).singleElement().satisfies(r -> {
            assertThat(r.value().getStatus()).isEqualTo(ToolStatus.ERROR);
            assertThat(r.value().getOutput())
                    .isEqualTo("no worker could fit render: it was delivered 3 times (the limit) and on worker w1 it"
                            + " needs gpus=1, this worker offers gpus=0");
        });
        assertThat(worker.handler.failed()).isEqualTo(1);
    }

    @Test
    void anUnknownToolIsReleasedForAWorkerThatHasItThenAnsweredAtTheLimit() throws Exception {
        worker = new WorkerFixture(Resources.DEFAULT, tools);

        assertThat(worker.handler.handle(WorkerFixture.TIER, worker.record(request("weather", "{}"), 1)))
                .isEqualTo(AcknowledgeType.RELEASE);
        assertThat(worker.handler.handle(WorkerFixture.TIER, worker.record(request("weather", "{}"), 3)))
                .isEqualTo(AcknowledgeType.ACCEPT);

        assertThat(worker.written(worker.topics.toolResults).getFirst().value().getOutput())
                .startsWith("no tool named 'weather' on worker w1")
                .endsWith("; nor did the other workers of tier small take it (delivered 3 times)");
    }

    @Test
    void anUnreadableRequestIsDeadLetteredAndRejected() throws Exception {
        worker = new WorkerFixture(Resources.DEFAULT, tools);
        byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);

        assertThat(worker.handler.handle(WorkerFixture.TIER, worker.record(garbage, 1)))
                .isEqualTo(AcknowledgeType.REJECT);

        assertThat(worker.deadLetters()).singleElement().satisfies(r -> {
            assertThat(r.key()).isEqualTo("call-1");
            assertThat(r.value().getTopic()).isEqualTo("skein.tools.small");
            assertThat(r.value().getPartition()).isEqualTo(2);
            assertThat(r.value().getOffset()).isEqualTo(17L);
            assertThat(r.value().getComponent()).isEqualTo("worker:w1");
            assertThat(r.value().getCause()).startsWith("cannot deserialize the record's value: ");
            assertThat(StandardCharsets.UTF_8.decode(r.value().getValue()).toString())
                    .isEqualTo("not avro");
        });
        assertThat(worker.handler.deadLettered()).isEqualTo(1);
    }

    @Test
    void aRecordWithoutAValueIsRejected() throws Exception {
        worker = new WorkerFixture(Resources.DEFAULT, tools);

        assertThat(worker.handler.handle(WorkerFixture.TIER, worker.record((byte[]) null, 1)))
                .isEqualTo(AcknowledgeType.REJECT);
        assertThat(worker.kafka.history()).isEmpty();
    }

    @Test
    void aCallWhoseRetriesAreExhaustedIsAnsweredAndDeadLettered() throws Exception {
        tools.add(Tools.define("flaky")
                .retry(Retry.none().withMaxAttempts(2).on(IOException.class))
                .handler(arguments -> {
                    throw new IOException("connection reset");
                }));
        worker = new WorkerFixture(Resources.DEFAULT, tools);

        assertThat(worker.handler.handle(WorkerFixture.TIER, worker.record(request("flaky", "{}"), 1)))
                .isEqualTo(AcknowledgeType.ACCEPT);

        assertThat(worker.written(worker.topics.toolResults).getFirst().value().getStatus())
                .isEqualTo(ToolStatus.ERROR);
        assertThat(worker.deadLetters())
                .singleElement()
                .satisfies(r -> assertThat(r.value().getCause()).contains("connection reset"));
    }

    @Test
    void aResultThatCannotBeWrittenReleasesTheRequest() throws Exception {
        worker = new WorkerFixture(Resources.DEFAULT.withCpus(2), tools, false);
        CompletableFuture<AcknowledgeType> ack = CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return worker.handler.handle(
                                WorkerFixture.TIER,
                                worker.record(request("calculator", "{\"expression\":\"1+1\"}"), 1));
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                },
                worker.threads);

        // Two deltas, then the result: the broker takes the deltas and refuses the result.
        await().atMost(Duration.ofSeconds(10))
                .until(() -> worker.kafka.history().size() == 3);
        worker.kafka.completeNext();
        worker.kafka.completeNext();
        worker.kafka.errorNext(new KafkaException("broker gone"));

        assertThat(ack.get(10, TimeUnit.SECONDS)).isEqualTo(AcknowledgeType.RELEASE);
        assertThat(worker.handler.completed()).isZero();
        assertThat(worker.handler.failed()).isEqualTo(1);
    }

    @Test
    void ordinalsReadAsEnglish() {
        assertThat(List.of(1, 2, 3, 4, 11, 12, 13, 21, 22, 111).stream().map(RequestHandler::ordinal))
                .containsExactly("1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "111th");
    }
}
