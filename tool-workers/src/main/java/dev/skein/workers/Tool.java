package dev.skein.workers;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.schemas.resources.Resources;
import java.time.Duration;

/**
 * A tool that Skein's workers run for agents. Implementations are found with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.skein.workers.Tool}), passed to a
 * {@link ToolWorker} directly, or defined in code with {@link Tools#define}. A tool whose
 * arguments are a Java record extends {@link TypedTool}, which derives the schema from it.
 *
 * <p>A call may be delivered more than once (a worker that dies mid-call loses nothing, so the
 * call runs again elsewhere): a tool with side effects must tolerate that. {@link #run} is called
 * on a virtual thread and interrupted when the call times out; a long computation should check
 * {@link Thread#interrupted()} so the thread is freed.
 *
 * <p>The catalog keeps one definition per name: a tool whose schema, needs or flags change must
 * get a higher {@link #version()}, or workers announcing both refuse to start.
 */
public interface Tool {

    /** The name agents call it by: lower case, digits and underscores, e.g. {@code count_primes}. */
    String name();

    /** What the tool does, for the model deciding whether to call it. */
    String description();

    /** The JSON Schema of the arguments object. */
    String parametersSchema();

    /** Raised whenever the schema, the needs or the flags change; 1 by default. */
    default int version() {
        return 1;
    }

    /** What one call needs (the worker admits it only when that much is free); 1 cpu and 512 MiB by default. */
    default Resources resources() {
        return Resources.DEFAULT;
    }

    /** How long one attempt may run before it is interrupted and answered with TIMEOUT; 30 s by default. */
    default Duration timeout() {
        return Duration.ofSeconds(30);
    }

    /** Which failures run again, how often and after how long; by default nothing retries. */
    default Retry retry() {
        return Retry.none();
    }

    /** True when the same arguments always give the same output, so a result may be reused. */
    default boolean cacheable() {
        return false;
    }

    /** How long a cached result may be reused; zero for the deployment's default. */
    default Duration cacheTtl() {
        return Duration.ZERO;
    }

    /**
     * False when a call only computes or reads, so that running it for a request the session
     * topology then aborts (speculative dispatch, docs/dispatch.md) harms nothing: such calls start
     * before the topology commits, even on a committed tier. True by default: a tool that writes,
     * sends or spends must wait for the commit there.
     */
    default boolean sideEffects() {
        return true;
    }

    /** True when a person must approve each call before it runs: the session holds the call until then. */
    default boolean requiresApproval() {
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
