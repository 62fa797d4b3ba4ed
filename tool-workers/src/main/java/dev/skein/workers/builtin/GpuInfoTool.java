package dev.skein.workers.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.Tool;
import dev.skein.workers.ToolFailure;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Asks the worker's GPUs, through the NVIDIA driver ({@code nvidia-smi}), what they are and how
 * busy they are: the built-in tool that needs a GPU, so that a call is routed to the {@code gpu}
 * tier and a new user sees which worker and which device answered. On a node without the driver it
 * fails with a reason the agent can read.
 */
public final class GpuInfoTool implements Tool {

    public static final String NAME = "gpu_info";
    static final List<String> COMMAND = List.of(
            "nvidia-smi",
            "--query-gpu=index,name,memory.total,memory.used,utilization.gpu,temperature.gpu",
            "--format=csv,noheader");
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(10);

    private final List<String> command;

    public GpuInfoTool() {
        this(COMMAND);
    }

    GpuInfoTool(List<String> command) {
        this.command = List.copyOf(command);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Reports the worker's GPUs: index, name, memory total and used, utilisation and temperature."
                + " Needs a GPU: it runs on the gpu tier.";
    }

    @Override
    public String parametersSchema() {
        return "{\"type\":\"object\",\"properties\":{},\"additionalProperties\":false}";
    }

    @Override
    public Resources resources() {
        return Resources.DEFAULT.withGpus(1).withMemory("256m");
    }

    @Override
    public Duration timeout() {
        return QUERY_TIMEOUT.plusSeconds(5);
    }

    @Override
    public String run(JsonNode arguments) throws ToolFailure, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new ToolFailure("cannot ask the GPUs: " + command.getFirst() + " is not on this worker's PATH ("
                    + e.getMessage() + "); is the NVIDIA driver installed?");
        }
        try {
            if (!process.waitFor(QUERY_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ToolFailure(
                        command.getFirst() + " did not answer within " + QUERY_TIMEOUT.toSeconds() + " s");
            }
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0) {
                throw new ToolFailure(command.getFirst() + " failed (exit " + process.exitValue() + "): " + output);
            }
            if (output.isEmpty()) {
                throw new ToolFailure(command.getFirst() + " found no GPU on this worker");
            }
            return "GPUs of this worker (index, name, memory total, memory used, utilisation, temperature): "
                    + String.join("; ", output.lines().map(String::strip).toList());
        } catch (IOException e) {
            throw new ToolFailure("cannot read " + command.getFirst() + "'s answer: " + e.getMessage());
        } finally {
            process.destroyForcibly();
        }
    }

    /** It reads the GPUs it can see: safe to start before the session topology commits its request. */
    @Override
    public boolean sideEffects() {
        return false;
    }
}
