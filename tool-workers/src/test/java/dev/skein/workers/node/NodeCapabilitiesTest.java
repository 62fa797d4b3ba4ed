package dev.skein.workers.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.ResourceSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeCapabilitiesTest {

    private static final long MACHINE = 32L << 30;

    @TempDir
    Path cgroup;

    @Test
    void memoryIsTheCgroupV2LimitWhenOneIsSet() throws IOException {
        Files.writeString(cgroup.resolve("memory.max"), "4294967296\n");

        NodeCapabilities node = NodeCapabilities.detect(8, cgroup, MACHINE, () -> 0);

        assertThat(node.resources().memoryBytes()).isEqualTo(4L << 30);
        assertThat(node.resources().cpus()).isEqualTo(8);
    }

    @Test
    void anUnlimitedCgroupMeansTheMachinesMemory() throws IOException {
        Files.writeString(cgroup.resolve("memory.max"), "max\n");

        assertThat(NodeCapabilities.detect(8, cgroup, MACHINE, () -> 0)
                        .resources()
                        .memoryBytes())
                .isEqualTo(MACHINE);
    }

    @Test
    void cgroupV1IsReadAndItsHugeNoLimitValueIgnored() throws IOException {
        Files.createDirectories(cgroup.resolve("memory"));
        Files.writeString(cgroup.resolve("memory/memory.limit_in_bytes"), "2147483648");
        assertThat(NodeCapabilities.cgroupMemoryLimit(cgroup)).hasValue(2L << 30);

        Files.writeString(cgroup.resolve("memory/memory.limit_in_bytes"), "9223372036854771712");
        assertThat(NodeCapabilities.cgroupMemoryLimit(cgroup)).isEmpty();
    }

    @Test
    void noCgroupFilesMeansNoLimit() {
        assertThat(NodeCapabilities.cgroupMemoryLimit(cgroup.resolve("absent"))).isEmpty();
    }

    @Test
    void gpusAreTheGpuLinesOfNvidiaSmi() {
        List<String> output = List.of(
                "GPU 0: NVIDIA A100-SXM4-40GB (UUID: GPU-1234)",
                "  MIG 1g.5gb Device 0: (UUID: MIG-5678)",
                "GPU 1: NVIDIA A100-SXM4-40GB (UUID: GPU-9abc)",
                "");

        assertThat(NodeCapabilities.countGpus(output)).isEqualTo(2);
        assertThat(NodeCapabilities.countGpus(List.of("NVIDIA-SMI has failed"))).isZero();
        assertThat(NodeCapabilities.detect(4, cgroup, MACHINE, () -> 2)
                        .resources()
                        .gpus())
                .isEqualTo(2);
    }

    @Test
    void overridesAndCustomResourcesReplaceWhatWasDetected() {
        NodeCapabilities node = NodeCapabilities.detect(2, cgroup, MACHINE, () -> 0)
                .withCpus(8)
                .withGpus(1)
                .withMemory("64g")
                .withResources(NodeCapabilities.parseCustom("license=2, fpga=1"));

        ResourceSpec spec = node.toSpec();
        assertThat(spec.getCpus()).isEqualTo(8.0);
        assertThat(spec.getGpus()).isEqualTo(1);
        assertThat(spec.getMemoryBytes()).isEqualTo(64L << 30);
        assertThat(spec.getCustom()).containsExactlyInAnyOrderEntriesOf(Map.of("license", 2.0, "fpga", 1.0));
    }

    @Test
    void aCustomResourceThatIsNotNameEqualsAmountIsRefused() {
        assertThatThrownBy(() -> NodeCapabilities.parseCustom("license")).hasMessageContaining("name=amount");
        assertThatThrownBy(() -> NodeCapabilities.parseCustom("license=two")).hasMessageContaining("'license=two'");
        assertThatThrownBy(() ->
                        NodeCapabilities.detect(2, cgroup, MACHINE, () -> 0).withResource("cpus", 3))
                .hasMessageContaining("not cpus, gpus or memory");
    }

    @Test
    void detectingThisMachineFindsSomething() {
        NodeCapabilities here = NodeCapabilities.detect();

        assertThat(here.resources().cpus()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(here.resources().memoryBytes()).isPositive();
    }
}
