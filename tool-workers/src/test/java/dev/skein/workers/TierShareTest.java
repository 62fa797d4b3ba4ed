package dev.skein.workers;

import static dev.skein.workers.WorkerFixture.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.Dispatch;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.builtin.BuiltinTools;
import java.util.List;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which share groups a worker joins on a tier, and which calls each group runs (docs/dispatch.md). */
class TierShareTest {

    private final SkeinTopics topics = new SkeinTopics("skein.", new InMemorySchemaRegistry());
    private final WorkerFixture worker = new WorkerFixture(Resources.DEFAULT.withCpus(2), BuiltinTools.all());

    @AfterEach
    void close() {
        worker.close();
    }

    @Test
    void aCommittedOrSpeculativeTierHasOneGroupThatRunsEveryCall() {
        assertThat(TierShare.of(topics, "small", Dispatch.COMMITTED))
                .containsExactly(
                        new TierShare("skein-workers-small", IsolationLevel.READ_COMMITTED, TierShare.Runs.ALL));
        assertThat(TierShare.of(topics, "small", Dispatch.SPECULATIVE))
                .containsExactly(
                        new TierShare("skein-workers-small", IsolationLevel.READ_UNCOMMITTED, TierShare.Runs.ALL));
    }

    @Test
    void aByToolTierSplitsItsCallsBetweenACommittedAndASpeculativeGroup() {
        assertThat(TierShare.of(topics, "small", Dispatch.BY_TOOL))
                .extracting(TierShare::group, TierShare::isolation, TierShare::runs)
                .containsExactly(
                        tuple("skein-workers-small", IsolationLevel.READ_COMMITTED, TierShare.Runs.WITH_SIDE_EFFECTS),
                        tuple(
                                "skein-workers-small-speculative",
                                IsolationLevel.READ_UNCOMMITTED,
                                TierShare.Runs.FREE_OF_SIDE_EFFECTS));
    }

    @Test
    void eachCallRunsInExactlyOneGroupOfAByToolTier() throws Exception {
        ToolRequest free = withDispatch(request("calculator", "{\"expression\":\"6*7\"}"), false);

        // The committed group leaves it to the speculative one: accepted, not run, nothing written.
        assertThat(worker.handler.handle(WorkerFixture.TIER, TierShare.Runs.WITH_SIDE_EFFECTS, worker.record(free, 1)))
                .isEqualTo(AcknowledgeType.ACCEPT);
        assertThat(worker.written(worker.topics.toolResults)).isEmpty();
        assertThat(worker.written(worker.topics.deltas)).isEmpty();

        assertThat(worker.handler.handle(
                        WorkerFixture.TIER, TierShare.Runs.FREE_OF_SIDE_EFFECTS, worker.record(free, 1)))
                .isEqualTo(AcknowledgeType.ACCEPT);
        List<ProducerRecord<String, ToolResult>> results = worker.written(worker.topics.toolResults);
        assertThat(results).singleElement().satisfies(r -> {
            assertThat(r.value().getOutput()).isEqualTo("42");
            // The dispatch it answers, for the topology to keep it only if that is the committed one.
            assertThat(r.value().getDispatchId()).isEqualTo("d-1");
        });

        ToolRequest withEffects = withDispatch(request("calculator", "{\"expression\":\"1+1\"}"), true);
        assertThat(worker.handler.handle(
                        WorkerFixture.TIER, TierShare.Runs.FREE_OF_SIDE_EFFECTS, worker.record(withEffects, 1)))
                .isEqualTo(AcknowledgeType.ACCEPT);
        assertThat(worker.written(worker.topics.toolResults)).hasSize(1);
        worker.handler.handle(WorkerFixture.TIER, TierShare.Runs.WITH_SIDE_EFFECTS, worker.record(withEffects, 1));
        assertThat(worker.written(worker.topics.toolResults))
                .extracting(r -> r.value().getOutput())
                .containsExactly("42", "2");
    }

    @Test
    void theBuiltinToolsDeclareThemselvesFreeOfSideEffectsAndTheCatalogSaysSo() {
        assertThat(BuiltinTools.all())
                .allSatisfy(tool -> assertThat(ToolDefinitions.of(tool, "w1").getSideEffects())
                        .as(tool.name())
                        .isFalse());
        Tool deploy = Tools.define("deploy").handler(arguments -> "deployed");
        assertThat(ToolDefinitions.of(deploy, "w1").getSideEffects())
                .as("a tool that says nothing has side effects")
                .isTrue();
    }

    private static ToolRequest withDispatch(ToolRequest request, boolean sideEffects) {
        request.setDispatchId("d-1");
        request.setSideEffects(sideEffects);
        return request;
    }
}
