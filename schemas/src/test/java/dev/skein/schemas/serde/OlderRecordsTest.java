package dev.skein.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentStep;
import dev.skein.events.ChatMessage;
import dev.skein.events.Role;
import dev.skein.events.SessionMeta;
import dev.skein.events.StepKind;
import dev.skein.events.ToolResult;
import dev.skein.events.TurnCompleted;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.registry.InMemorySchemaRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.generic.GenericRecordBuilder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificRecord;
import org.junit.jupiter.api.Test;

/**
 * Records written before a field was added still read, with the field's default: stores,
 * changelogs and topics keep old records for as long as a session lives.
 */
class OlderRecordsTest {

    private final InMemorySchemaRegistry registry = new InMemorySchemaRegistry();

    @Test
    void aHistoryMessageFromBeforeContinuationsReadsAsAPlainAnswer() throws IOException {
        Schema before = without(ChatMessage.getClassSchema(), Set.of("continuation", "awaitingInput", "outcome"));
        GenericRecord old = new GenericData.Record(before);
        old.put("sequence", 3L);
        old.put("role", new GenericData.EnumSymbol(before.getField("role").schema(), "ASSISTANT"));
        old.put("content", "hi");
        old.put("toolCalls", List.of());
        old.put("cached", false);
        old.put("deliveryCount", 0);
        old.put("turnId", "t1");
        old.put("timestampMs", 7L);

        ChatMessage read = read(ChatMessage.class, before, old);

        assertThat(read.getRole()).isEqualTo(Role.ASSISTANT);
        assertThat(read.getContent()).isEqualTo("hi");
        assertThat(read.getContinuation()).isNull();
        assertThat(read.getAwaitingInput()).isFalse();
        assertThat(read.getOutcome()).isNull();
    }

    @Test
    void aStepAndACompletionFromBeforeContinuationsDoNotWaitForInput() throws IOException {
        Schema stepBefore = without(AgentStep.getClassSchema(), Set.of("continuation", "awaitingInput"));
        GenericRecord step = new GenericData.Record(stepBefore);
        step.put("tenant", "acme");
        step.put("sessionId", "s1");
        step.put("turnId", "t1");
        step.put("step", 0);
        step.put("agent", "demo");
        step.put("kind", new GenericData.EnumSymbol(stepBefore.getField("kind").schema(), "FINAL"));
        step.put("toolCalls", List.of());
        step.put("retryable", false);
        step.put("producedAtMs", 7L);
        Schema completionBefore = without(
                TurnCompleted.getClassSchema(), Set.of("awaitingInput", "supersededBy", "rolledBack", "traceId"));
        GenericRecord completion = new GenericData.Record(completionBefore);
        completion.put("tenant", "acme");
        completion.put("sessionId", "s1");
        completion.put("turnId", "t1");
        completion.put(
                "status",
                new GenericData.EnumSymbol(completionBefore.getField("status").schema(), "COMPLETED"));
        completion.put("steps", 1);
        completion.put("toolCalls", 0);
        completion.put("requestedAtMs", 0L);
        completion.put("completedAtMs", 7L);

        AgentStep readStep = read(AgentStep.class, stepBefore, step);
        TurnCompleted readCompletion = read(TurnCompleted.class, completionBefore, completion);

        assertThat(readStep.getKind()).isEqualTo(StepKind.FINAL);
        assertThat(readStep.getContinuation()).isNull();
        assertThat(readStep.getAwaitingInput()).isFalse();
        assertThat(readCompletion.getStatus()).isEqualTo(TurnStatus.COMPLETED);
        assertThat(readCompletion.getAwaitingInput()).isFalse();
        assertThat(readCompletion.getTraceId()).isNull();
    }

    @Test
    void aTurnASessionAndACompletionFromBeforeDoubleTextingFollowTheDefaultPolicy() throws IOException {
        Schema turnBefore = without(TurnRequested.getClassSchema(), Set.of("doubleTexting", "stickyDoubleTexting"));
        GenericRecord turn = new GenericRecordBuilder(turnBefore)
                .set("tenant", "acme")
                .set("sessionId", "s1")
                .set("turnId", "t1")
                .set("message", "hello")
                .set("requestedAtMs", 7L)
                .build();
        Schema metaBefore = without(SessionMeta.getClassSchema(), Set.of("doubleTexting", "rolledBackMessages"));
        GenericRecord meta = new GenericRecordBuilder(metaBefore)
                .set("tenant", "acme")
                .set("sessionId", "s1")
                .set("nextSequence", 4L)
                .set("createdAtMs", 7L)
                .set("updatedAtMs", 7L)
                .build();

        TurnRequested readTurn = read(TurnRequested.class, turnBefore, turn);
        SessionMeta readMeta = read(SessionMeta.class, metaBefore, meta);

        assertThat(readTurn.getDoubleTexting()).isNull();
        assertThat(readTurn.getStickyDoubleTexting()).isFalse();
        assertThat(readMeta.getDoubleTexting()).isNull();
        assertThat(readMeta.getRolledBackMessages()).isZero();
        assertThat(readMeta.getNextSequence()).isEqualTo(4L);
    }

    @Test
    void aStepAndAResultFromBeforeDecisionTracesHaveNoEchoedOffset() throws IOException {
        Schema stepBefore =
                without(AgentStep.getClassSchema(), Set.of("requestPartition", "requestOffset", "receivedAtMs"));
        GenericRecord step = new GenericRecordBuilder(stepBefore)
                .set("tenant", "acme")
                .set("sessionId", "s1")
                .set("turnId", "t1")
                .set("step", 0)
                .set("agent", "demo")
                .set(
                        "kind",
                        new GenericData.EnumSymbol(stepBefore.getField("kind").schema(), "FINAL"))
                .set("producedAtMs", 7L)
                .build();
        Schema resultBefore =
                without(ToolResult.getClassSchema(), Set.of("requestPartition", "requestOffset", "startedAtMs"));
        GenericRecord result = new GenericRecordBuilder(resultBefore)
                .set("tenant", "acme")
                .set("sessionId", "s1")
                .set("turnId", "t1")
                .set("step", 0)
                .set("callId", "c1")
                .set("tool", "calculator")
                .set(
                        "status",
                        new GenericData.EnumSymbol(
                                resultBefore.getField("status").schema(), "OK"))
                .set("output", "84")
                .set("completedAtMs", 7L)
                .build();

        AgentStep readStep = read(AgentStep.class, stepBefore, step);
        ToolResult readResult = read(ToolResult.class, resultBefore, result);

        assertThat(readStep.getRequestOffset()).isNull();
        assertThat(readStep.getReceivedAtMs()).isNull();
        assertThat(readResult.getRequestPartition()).isNull();
        assertThat(readResult.getStartedAtMs()).isNull();
        assertThat(readResult.getOutput()).isEqualTo("84");
    }

    /** {@code current} as it was before {@code added} were added to it. */
    private static Schema without(Schema current, Set<String> added) {
        assertThat(current.getFields()).extracting(Schema.Field::name).containsAll(added);
        List<Schema.Field> fields = current.getFields().stream()
                .filter(f -> !added.contains(f.name()))
                .map(f -> new Schema.Field(f, f.schema()))
                .toList();
        return Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
    }

    /** Written by an older producer in the wire format, read by this version's serde. */
    private <T extends SpecificRecord> T read(Class<T> type, Schema writer, GenericRecord record) throws IOException {
        String topic = "skein.test";
        int id = registry.register(topic + "-value", writer);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(AvroSerde.MAGIC);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
        new GenericDatumWriter<GenericRecord>(writer).write(record, encoder);
        encoder.flush();
        return AvroSerde.of(type, registry).deserializer().deserialize(topic, out.toByteArray());
    }
}
