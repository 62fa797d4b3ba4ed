package dev.skein.workers.builtin;

import dev.skein.workers.Tool;
import java.util.List;

/** The tools that ship with Skein (also listed in {@code META-INF/services/dev.skein.workers.Tool}). */
public final class BuiltinTools {

    private BuiltinTools() {}

    /** A new instance of every built-in tool. */
    public static List<Tool> all() {
        return List.of(
                new CalculatorTool(),
                new CountPrimesTool(),
                new SleepTool(),
                new NoopTool(),
                new MatrixMultiplyTool(),
                new GpuInfoTool());
    }
}
