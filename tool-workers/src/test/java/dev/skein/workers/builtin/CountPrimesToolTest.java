package dev.skein.workers.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.skein.workers.Tool;
import dev.skein.workers.ToolFailure;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class CountPrimesToolTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private final CountPrimesTool tool = new CountPrimesTool();

    @Test
    void countsThePrimesBelowTheLimit() throws Exception {
        assertThat(tool.run(JSON.readTree("{\"limit\":100000}"))).isEqualTo("9592");
        assertThat(CountPrimesTool.countBelow(0)).isZero();
        assertThat(CountPrimesTool.countBelow(2)).isZero();
        assertThat(CountPrimesTool.countBelow(3)).isEqualTo(1);
        assertThat(CountPrimesTool.countBelow(10)).isEqualTo(4);
        assertThat(CountPrimesTool.countBelow(11)).isEqualTo(4); // 11 itself is not below 11
        assertThat(CountPrimesTool.countBelow(12)).isEqualTo(5);
        assertThat(CountPrimesTool.countBelow(1_000_000)).isEqualTo(78_498);
    }

    @Test
    void rejectsLimitsOutsideItsRange() {
        assertThatThrownBy(() -> tool.run(JSON.readTree("{\"limit\":50000001}")))
                .isInstanceOf(ToolFailure.class)
                .hasMessage("limit must be between 0 and 50000000, got 50000001");
        assertThatThrownBy(() -> tool.run(JSON.readTree("{\"limit\":\"ten\"}")))
                .isInstanceOf(ToolFailure.class)
                .hasMessageContaining("{\"limit\": <integer>}");
    }

    @Test
    void stopsWhenInterrupted() throws Exception {
        Thread.currentThread().interrupt();
        try {
            assertThatThrownBy(() -> CountPrimesTool.countBelow(50_000_000)).isInstanceOf(InterruptedException.class);
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void builtInsAreFoundByServiceLoader() {
        assertThat(ServiceLoader.load(Tool.class).stream().map(p -> p.get().name()))
                .containsExactlyInAnyOrder(
                        "calculator", "count_primes", "sleep", "noop", "matrix_multiply", "gpu_info");
        assertThat(BuiltinTools.all())
                .extracting(Tool::name)
                .containsExactly("calculator", "count_primes", "sleep", "noop", "matrix_multiply", "gpu_info");
    }
}
