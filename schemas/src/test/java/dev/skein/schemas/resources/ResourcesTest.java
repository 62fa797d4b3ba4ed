package dev.skein.schemas.resources;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.events.ResourceSpec;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResourcesTest {

    private static final long GIB = 1L << 30;

    @Test
    void addsAndSubtractsEveryResourceNeverBelowZero() {
        Resources a = new Resources(1.5, 1, 2 * GIB, Map.of("license", 1.0));
        Resources b = new Resources(0.5, 0, GIB, Map.of("fpga", 2.0));

        assertThat(a.plus(b)).isEqualTo(new Resources(2, 1, 3 * GIB, Map.of("license", 1.0, "fpga", 2.0)));
        assertThat(a.minus(b)).isEqualTo(new Resources(1, 1, GIB, Map.of("license", 1.0, "fpga", 0.0)));
        assertThat(b.minus(a).cpus()).isZero();
        assertThat(b.minus(a).memoryBytes()).isZero();
    }

    @Test
    void fractionalSumsFitTheirExactCapacity() {
        Resources needs = Resources.NONE.withCpus(0.1).plus(Resources.NONE.withCpus(0.2));
        Resources capacity = Resources.NONE.withCpus(0.3);

        assertThat(needs.cpus()).isGreaterThan(0.3);
        assertThat(needs.fitsWithin(capacity)).isTrue();
        assertThat(capacity.covers(needs)).isTrue();
        assertThat(Resources.NONE.with("license", 0.1).plus(Resources.NONE.with("license", 0.2)))
                .matches(n -> n.fitsWithin(Resources.NONE.with("license", 0.3)));
    }

    @Test
    void anExcessBeyondTheToleranceDoesNotFit() {
        Resources capacity = Resources.NONE.withCpus(0.3);

        assertThat(Resources.NONE.withCpus(0.3 + 1e-6).fitsWithin(capacity)).isFalse();
        assertThat(Resources.NONE.withCpus(0.3 + Resources.TOLERANCE / 2).fitsWithin(capacity))
                .isTrue();
    }

    @Test
    void wholeAmountsCompareExactly() {
        Resources capacity = new Resources(1, 1, 4 * GIB, Map.of());

        assertThat(Resources.NONE.withMemoryBytes(4 * GIB).fitsWithin(capacity)).isTrue();
        assertThat(Resources.NONE.withMemoryBytes(4 * GIB + 1).fitsWithin(capacity))
                .isFalse();
        // Beyond 2^53 a double cannot tell these apart; memory is compared as a long.
        Resources huge = Resources.NONE.withMemoryBytes(Long.MAX_VALUE - 1);
        assertThat(Resources.NONE.withMemoryBytes(Long.MAX_VALUE).fitsWithin(huge))
                .isFalse();
        assertThat(Resources.NONE.withGpus(2).fitsWithin(capacity)).isFalse();
    }

    @Test
    void namesWhatExceedsAndWhatIsMissing() {
        Resources offered = new Resources(2, 0, 4 * GIB, Map.of("license", 1.0));
        Resources needs = new Resources(4, 1, 16 * GIB, Map.of("license", 2.0, "fpga", 1.0));

        assertThat(needs.exceeding(offered)).containsExactly("cpus", "gpus", "memory", "fpga", "license");
        assertThat(offered.missing(needs)).containsExactly("cpus=4", "gpus=1", "memory=16 GiB", "fpga=1", "license=2");
        assertThat(offered.missing(Resources.NONE.withCpus(1))).isEmpty();
    }

    @Test
    void describesNeedsInTheWordsOfMessages() {
        assertThat(Resources.DEFAULT.describe()).isEqualTo("cpus=1, memory=512 MiB");
        assertThat(new Resources(0.5, 1, 1024 * GIB, Map.of("license", 2.0)).describe())
                .isEqualTo("cpus=0.5, gpus=1, memory=1024 GiB, license=2");
        assertThat(Resources.DEFAULT.toString()).isEqualTo("cpus=1, gpus=0, memory=512 MiB");
        assertThat(Resources.DEFAULT.describe(List.of("memory"))).isEqualTo("memory=512 MiB");
    }

    @Test
    void roundTripsThroughTheWireForm() {
        Resources needs = new Resources(0.25, 2, 3 * GIB, Map.of("license", 1.0));
        ResourceSpec spec = needs.toSpec();

        assertThat(Resources.of(spec)).isEqualTo(needs);
        assertThat(Resources.of(ResourceSpec.newBuilder().build())).isEqualTo(Resources.DEFAULT);
    }

    @Test
    void refusesAmountsNoNodeCanHave() {
        assertThatThrownBy(() -> new Resources(-1, 0, 0, Map.of())).hasMessageContaining("cpus must be");
        assertThatThrownBy(() -> new Resources(Double.NaN, 0, 0, Map.of())).hasMessageContaining("cpus must be");
        assertThatThrownBy(() -> new Resources(0, -1, 0, Map.of())).hasMessageContaining("gpus must be");
        assertThatThrownBy(() -> new Resources(0, 0, -1, Map.of())).hasMessageContaining("memoryBytes must be");
        assertThatThrownBy(() -> Resources.NONE.with("memory", 1)).hasMessageContaining("not cpus, gpus or memory");
        assertThatThrownBy(() -> Resources.NONE.with("license", -1)).hasMessageContaining("at least 0");
    }

    @Test
    void readsMemoryAsPeopleWriteIt() {
        assertThat(Resources.NONE.withMemory("16GiB").memoryBytes()).isEqualTo(16 * GIB);
        assertThat(Resources.NONE.withMemory("64g").amount("memory")).isEqualTo(64.0 * GIB);
    }
}
