package dev.skein.workers.builtin;

import dev.skein.schemas.resources.Resources;
import dev.skein.workers.TypedTool;

/** Does nothing and answers "ok": the tool of the dispatch benchmark, so that what is measured is Skein. */
public final class NoopTool extends TypedTool<NoopTool.Arguments> {

    public static final String NAME = "noop";

    /** No arguments. */
    public record Arguments() {}

    public NoopTool() {
        super(Arguments.class);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Does nothing and returns \"ok\". Takes no arguments.";
    }

    /** Next to nothing, so that admission never limits the benchmark. */
    @Override
    public Resources resources() {
        return Resources.NONE.withCpus(0.01).withMemory("1m");
    }

    @Override
    protected String call(Arguments arguments) {
        return "ok";
    }

    /** It does nothing: safe to start before the session topology commits its request. */
    @Override
    public boolean sideEffects() {
        return false;
    }
}
