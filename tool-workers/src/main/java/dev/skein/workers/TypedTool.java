package dev.skein.workers;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A tool whose arguments are a Java record: the schema the agent sees is derived from the record,
 * and {@link #call} receives the bound record (see {@link RecordArguments} for the rules).
 *
 * <pre>{@code
 * public final class SleepTool extends TypedTool<SleepTool.Arguments> {
 *     public record Arguments(@JsonPropertyDescription("How long") @Max(600000) long ms) {}
 *     public SleepTool() { super(Arguments.class); }
 *     ...
 *     protected String call(Arguments arguments) throws InterruptedException { ... }
 * }
 * }</pre>
 *
 * @param <A> the record of the arguments
 */
public abstract class TypedTool<A extends Record> implements Tool {

    private final Class<A> argumentsType;
    private RecordArguments<A> arguments;

    protected TypedTool(Class<A> argumentsType) {
        this.argumentsType = argumentsType;
    }

    // Derived on first use: name() is overridden by the subclass, so it cannot be read in this constructor.
    private synchronized RecordArguments<A> arguments() {
        if (arguments == null) {
            arguments = RecordArguments.of(argumentsType, name());
        }
        return arguments;
    }

    /** Derived from the arguments record. */
    @Override
    public final String parametersSchema() {
        return arguments().schema();
    }

    /** Binds the arguments to the record (a {@link ToolFailure} when they do not fit) and calls {@link #call}. */
    @Override
    public final String run(JsonNode arguments) throws Exception {
        return call(arguments().bind(arguments));
    }

    /**
     * Runs one call with its arguments bound.
     *
     * @see Tool#run for the exceptions and interruption
     */
    protected abstract String call(A arguments) throws Exception;
}
