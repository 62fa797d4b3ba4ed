package dev.skein.workers.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.ToolFailure;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The built-in tools that need more than the small tier: one for large, one for gpu. */
class TierToolsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Resources SMALL_TIER = new Resources(1, 0, 1L << 30, java.util.Map.of());

    @Test
    void matrixMultiplyNeedsMoreThanTheSmallTierAndAGpuToolNeedsAGpu() {
        assertThat(new MatrixMultiplyTool().resources().fitsWithin(SMALL_TIER)).isFalse();
        assertThat(new MatrixMultiplyTool().resources().cpus()).isEqualTo(2);
        assertThat(new GpuInfoTool().resources().gpus()).isEqualTo(1);
    }

    @Test
    void theTraceOfTheProductIsTheNaiveOneAndTheSameOnEveryRun() throws Exception {
        int n = 37;
        SplittableRandom random = new SplittableRandom(5);
        double[][] a = new double[n][n];
        double[][] b = new double[n][n];
        for (double[][] m : new double[][][] {a, b}) {
            for (double[] row : m) {
                for (int j = 0; j < n; j++) {
                    row[j] = random.nextDouble(-1, 1);
                }
            }
        }
        double expected = 0;
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < n; k++) {
                expected += a[i][k] * b[k][i];
            }
        }

        assertThat(MatrixMultiplyTool.traceOfProduct(n, 5))
                .isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-9));
        assertThat(new MatrixMultiplyTool().run(JSON.readTree("{\"size\":37,\"seed\":5}")))
                .isEqualTo(new MatrixMultiplyTool().run(JSON.readTree("{\"size\":37,\"seed\":5}")))
                .startsWith("The trace of the product of two random 37×37 matrices (seed 5) is ");
    }

    @Test
    void gpuInfoReportsWhatTheDriverSaysAndFailsReadablyWithoutIt() throws Exception {
        GpuInfoTool fakeDriver =
                new GpuInfoTool(List.of("sh", "-c", "echo '0, NVIDIA H200, 143771 MiB, 0 MiB, 0 %, 31'"));
        assertThat(fakeDriver.run(JSON.readTree("{}"))).endsWith("0, NVIDIA H200, 143771 MiB, 0 MiB, 0 %, 31");

        GpuInfoTool noDriver = new GpuInfoTool(List.of("skein-no-such-nvidia-smi"));
        assertThatThrownBy(() -> noDriver.run(JSON.readTree("{}")))
                .isInstanceOf(ToolFailure.class)
                .hasMessageContaining("not on this worker's PATH");

        GpuInfoTool failing = new GpuInfoTool(List.of("sh", "-c", "echo 'No devices were found'; exit 6"));
        assertThatThrownBy(() -> failing.run(JSON.readTree("{}")))
                .isInstanceOf(ToolFailure.class)
                .hasMessageContaining("exit 6")
                .hasMessageContaining("No devices were found");
    }
}
