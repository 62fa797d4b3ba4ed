package dev.skein.workers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.events.ResourceSpec;

/**
 * A tool that Skein's workers run for agents. Implementations are found with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.skein.workers.Tool}) or passed to
 * a {@link ToolWorker} directly.
 *
 * <p>A call may be delivered more than once (a worker that dies mid-call loses nothing, so the
 * call runs again elsewhere): a tool with side effects must tolerate that. {@link #run} is called
 * on a virtual thread and interrupted when the call times out; a long computation should check
 * {@link Thread#interrupted()} so the thread is freed.
 */
public interface Tool {

    /** The name agents call it by: lower case, digits and underscores, e.g. {@code count_primes}. */
    String name();

    /** What the tool does, for the model deciding whether to call it. */
    String description();

    /** The JSON Schema of the arguments object. */
    String parametersSchema();

    /** What one call needs; the default is 1 cpu and 512 MiB. */
    default ResourceSpec resources() {
        return ResourceSpec.newBuilder().setCpus(1.0).setGpus(0).setMemoryBytes(512L * 1024 * 1024).build();
    }

    /** How long one call may run before it is interrupted and answered with TIMEOUT. */
    default long timeoutMs() {
        return 30_000;
    }

    /** True when the same arguments always give the same output, so a result may be reused. */
    default boolean cacheable() {
        return false;
    }

    /**
     * Runs one call.
     *
     * @param arguments the arguments object (always a JSON object)
     * @return the output the agent reads
     * @throws ToolFailure for errors the agent should read and may act on (bad input, not found)
     * @throws InterruptedException when interrupted because the call timed out
     * @throws Exception any other failure, reported to the agent as an error with its message
     */
    String run(JsonNode arguments) throws Exception;
}
