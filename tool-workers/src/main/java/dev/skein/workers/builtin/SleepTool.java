package dev.skein.workers.builtin;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.ToolFailure;
import dev.skein.workers.TypedTool;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;

/**
 * Sleeps for a while and says so: a long task that costs nothing, for demos and tests of
 * scheduling, lock renewal and timeouts. Interrupted (by a timeout or shutdown) it stops at once.
 */
public final class SleepTool extends TypedTool<SleepTool.Arguments> {

    public static final String NAME = "sleep";
    public static final long MAX_MS = 600_000;

    /** The arguments: how long to sleep. */
    public record Arguments(
            @JsonPropertyDescription("How long to sleep, in milliseconds (at most 600000)") @Min(0) @Max(MAX_MS)
            long ms) {}

    public SleepTool() {
        super(Arguments.class);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Sleeps for the given number of milliseconds (at most 10 minutes) and returns \"slept N ms\".";
    }

    /** Sleeping takes a thread, not a core. */
    @Override
    public Resources resources() {
        return Resources.DEFAULT.withCpus(0.1).withMemory("64m");
    }

    /** Long enough for the longest sleep. */
    @Override
    public Duration timeout() {
        return Duration.ofMillis(MAX_MS).plusSeconds(30);
    }

    @Override
    protected String call(Arguments arguments) throws ToolFailure, InterruptedException {
        if (arguments.ms() < 0 || arguments.ms() > MAX_MS) {
            throw new ToolFailure("ms must be between 0 and " + MAX_MS + ", got " + arguments.ms());
        }
        Thread.sleep(arguments.ms());
        return "slept " + arguments.ms() + " ms";
    }

    /** It only waits: safe to start before the session topology commits its request. */
    @Override
    public boolean sideEffects() {
        return false;
    }
}
