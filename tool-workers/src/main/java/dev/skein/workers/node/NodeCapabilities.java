package dev.skein.workers.node;

import dev.skein.events.ResourceSpec;
import dev.skein.schemas.resources.ByteSize;
import dev.skein.schemas.resources.Resources;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What this node offers to tool calls: cores, memory, GPUs and configured custom resources.
 *
 * <p>Detection: cores from {@link Runtime#availableProcessors()} (which honours container cpu
 * limits); memory from the container's cgroup limit (v2 {@code memory.max}, v1
 * {@code memory.limit_in_bytes}) when one is set, else the machine's physical memory; GPUs by
 * counting the {@code GPU n:} lines of {@code nvidia-smi -L} when it is on the PATH (5 s at most),
 * else 0. Each can be overridden, e.g. to offer a share of a node shared with other services, and
 * custom resources exist only by configuration.
 */
public final class NodeCapabilities {

    private static final Logger log = LoggerFactory.getLogger(NodeCapabilities.class);
    private static final Pattern GPU_LINE = Pattern.compile("^GPU \\d+:.*");
    // cgroup v1 writes "no limit" as a huge page-aligned number close to Long.MAX_VALUE.
    private static final long V1_UNLIMITED = 1L << 60;
    private static final long NVIDIA_SMI_TIMEOUT_SECONDS = 5;

    private final Resources resources;
    private final String memorySource;

    private NodeCapabilities(Resources resources, String memorySource) {
        this.resources = resources;
        this.memorySource = memorySource;
    }

    /** What this node offers, detected. */
    public static NodeCapabilities detect() {
        return detect(
                Runtime.getRuntime().availableProcessors(),
                Path.of("/sys/fs/cgroup"),
                machineMemory(),
                NodeCapabilities::nvidiaSmiGpus);
    }

    static NodeCapabilities detect(int cores, Path cgroupRoot, long machineMemory, IntSupplier gpus) {
        OptionalLong limit = cgroupMemoryLimit(cgroupRoot);
        long memory = limit.isPresent() ? Math.min(limit.getAsLong(), machineMemory) : machineMemory;
        String source = limit.isPresent() ? "cgroup limit" : "machine memory";
        NodeCapabilities detected =
                new NodeCapabilities(new Resources(cores, gpus.getAsInt(), memory, Map.of()), source);
        log.info("Detected node capabilities: {} (memory from the {})", detected.resources, source);
        return detected;
    }

    /** Offers exactly {@code resources}, nothing detected (tests, or a node described fully by configuration). */
    public static NodeCapabilities of(Resources resources) {
        return new NodeCapabilities(resources, "configuration");
    }

    public NodeCapabilities withCpus(double cpus) {
        return new NodeCapabilities(resources.withCpus(cpus), memorySource);
    }

    public NodeCapabilities withGpus(int gpus) {
        return new NodeCapabilities(resources.withGpus(gpus), memorySource);
    }

    public NodeCapabilities withMemoryBytes(long bytes) {
        return new NodeCapabilities(resources.withMemoryBytes(bytes), "configuration");
    }

    /** With memory given as a size such as {@code 64g} (see {@link ByteSize}). */
    public NodeCapabilities withMemory(String size) {
        return withMemoryBytes(ByteSize.parse(size));
    }

    /** Also offers {@code amount} of the custom resource {@code name}. */
    public NodeCapabilities withResource(String name, double amount) {
        return new NodeCapabilities(resources.with(name, amount), memorySource);
    }

    /** Also offers each of {@code custom}, e.g. from a {@code --resource license=2} flag. */
    public NodeCapabilities withResources(Map<String, Double> custom) {
        NodeCapabilities out = this;
        for (Map.Entry<String, Double> entry : custom.entrySet()) {
            out = out.withResource(entry.getKey(), entry.getValue());
        }
        return out;
    }

    /**
     * Custom resources written {@code name=amount[,name=amount...]}, e.g. {@code license=2,fpga=1}.
     *
     * @throws IllegalArgumentException naming the entry that is not {@code name=amount}
     */
    public static Map<String, Double> parseCustom(String text) {
        Map<String, Double> out = new java.util.TreeMap<>();
        if (text == null || text.isBlank()) {
            return out;
        }
        for (String entry : text.split(",")) {
            String[] parts = entry.strip().split("=", 2);
            try {
                if (parts.length != 2) {
                    throw new NumberFormatException();
                }
                out.put(parts[0].strip(), Double.parseDouble(parts[1].strip()));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(
                        "custom resource '" + entry.strip() + "' must be written name=amount, e.g. license=2", e);
            }
        }
        return out;
    }

    /** What this node offers. */
    public Resources resources() {
        return resources;
    }

    /** The wire form, for heartbeats. */
    public ResourceSpec toSpec() {
        return resources.toSpec();
    }

    @Override
    public String toString() {
        return resources + " (memory from the " + memorySource + ")";
    }

    /** The memory limit of the cgroup under {@code root} (v2, then v1), empty when there is none. */
    static OptionalLong cgroupMemoryLimit(Path root) {
        Optional<String> v2 = read(root.resolve("memory.max"));
        if (v2.isPresent()) {
            return v2.get().equals("max") ? OptionalLong.empty() : parseLimit(v2.get(), root.resolve("memory.max"));
        }
        Optional<String> v1 = read(root.resolve("memory").resolve("memory.limit_in_bytes"));
        if (v1.isPresent()) {
            OptionalLong limit = parseLimit(v1.get(), root.resolve("memory/memory.limit_in_bytes"));
            return limit.isPresent() && limit.getAsLong() >= V1_UNLIMITED ? OptionalLong.empty() : limit;
        }
        return OptionalLong.empty();
    }

    private static OptionalLong parseLimit(String text, Path file) {
        try {
            return OptionalLong.of(Long.parseLong(text));
        } catch (NumberFormatException e) {
            log.warn("Cannot read the memory limit in {} ('{}'); using the machine's memory", file, text);
            return OptionalLong.empty();
        }
    }

    private static Optional<String> read(Path file) {
        if (!Files.isReadable(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(file).strip());
        } catch (IOException e) {
            log.warn("Cannot read {}: {}", file, e.toString());
            return Optional.empty();
        }
    }

    /** The number of {@code GPU n: ...} lines in {@code nvidia-smi -L} output. */
    static int countGpus(List<String> lines) {
        return (int) lines.stream()
                .map(String::strip)
                .filter(line -> GPU_LINE.matcher(line).matches())
                .count();
    }

    private static int nvidiaSmiGpus() {
        Optional<Path> executable = onPath("nvidia-smi");
        if (executable.isEmpty()) {
            return 0;
        }
        Process process = null;
        try {
            process = new ProcessBuilder(executable.get().toString(), "-L")
                    .redirectErrorStream(true)
                    .start();
            // Read on a virtual thread so that a hung nvidia-smi cannot hold start-up beyond the timeout.
            InputStream output = process.getInputStream();
            var text = new java.util.concurrent.CompletableFuture<String>();
            Thread.ofVirtual().start(() -> {
                try {
                    text.complete(new String(output.readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    text.completeExceptionally(e);
                }
            });
            if (!process.waitFor(NVIDIA_SMI_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                log.warn(
                        "nvidia-smi -L did not answer within {} s; offering 0 GPUs (override with --gpus)",
                        NVIDIA_SMI_TIMEOUT_SECONDS);
                return 0;
            }
            String out = text.get(NVIDIA_SMI_TIMEOUT_SECONDS, TimeUnit.SECONDS);
            if (process.exitValue() != 0) {
                log.warn(
                        "nvidia-smi -L exited with {}: {}; offering 0 GPUs (override with --gpus)",
                        process.exitValue(),
                        out.strip());
                return 0;
            }
            return countGpus(out.lines().toList());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.warn("Interrupted while asking nvidia-smi for GPUs; offering 0 GPUs");
            return 0;
        } catch (IOException | java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            log.warn("Cannot run nvidia-smi -L ({}); offering 0 GPUs (override with --gpus)", e.toString());
            return 0;
        } finally {
            if (process != null) {
                process.destroyForcibly();
            }
        }
    }

    private static Optional<Path> onPath(String command) {
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        for (String dir : path.split(File.pathSeparator)) {
            Path candidate = Path.of(dir, command);
            if (Files.isExecutable(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static long machineMemory() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        // Not a HotSpot-family JVM: the heap limit is the best lower bound we have.
        log.warn("Cannot read the machine's memory from this JVM; offering its heap limit");
        return Runtime.getRuntime().maxMemory();
    }
}
