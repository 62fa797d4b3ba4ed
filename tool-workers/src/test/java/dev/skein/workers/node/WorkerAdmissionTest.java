package dev.skein.workers.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.skein.schemas.resources.Resources;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

class WorkerAdmissionTest {

    private final WorkerAdmission admission =
            new WorkerAdmission(Resources.NONE.withCpus(2).withMemory("4g").with("license", 1));

    @Test
    void callsThatFitTogetherRunTogether() {
        WorkerAdmission.Permit a = admission.tryAcquire(Resources.DEFAULT.withCpus(0.5));
        WorkerAdmission.Permit b = admission.tryAcquire(Resources.DEFAULT.withCpus(1.5));

        assertThat(a).isNotNull();
        assertThat(b).isNotNull();
        assertThat(admission.inUse().cpus()).isEqualTo(2.0);
        assertThat(admission.inUse().memoryBytes()).isEqualTo(1L << 30);
        assertThat(admission.utilisation("cpus")).isEqualTo(1.0);
        assertThat(admission.utilisation("memory")).isEqualTo(0.25);
        assertThat(admission.utilisation("gpus")).as("not offered").isZero();
        assertThat(admission.tryAcquire(Resources.DEFAULT.withCpus(0.1)))
                .as("no cpu left")
                .isNull();

        a.close();
        b.close();
        b.close();
        assertThat(admission.inUse()).isEqualTo(Resources.NONE);
        assertThat(admission.admitted()).isEqualTo(2);
    }

    @Test
    void fractionalCpusAddUpExactlyEnough() {
        for (int i = 0; i < 20; i++) {
            assertThat(admission.tryAcquire(Resources.NONE.withCpus(0.1)))
                    .as("call %d", i)
                    .isNotNull();
        }
        assertThat(admission.tryAcquire(Resources.NONE.withCpus(0.1))).isNull();
    }

    @Test
    void aCallWaitsUntilAnotherReturnsWhatItNeeds() throws Exception {
        WorkerAdmission.Permit license = admission.acquire(Resources.NONE.with("license", 1));
        CompletableFuture<WorkerAdmission.Permit> waiting = new CompletableFuture<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                waiting.complete(admission.acquire(Resources.NONE.withCpus(1).with("license", 1)));
            } catch (InterruptedException e) {
                waiting.completeExceptionally(e);
            }
        });

        assertThatThrownBy(() -> waiting.get(300, TimeUnit.MILLISECONDS)).isInstanceOf(TimeoutException.class);
        license.close();

        WorkerAdmission.Permit second = waiting.get(5, TimeUnit.SECONDS);
        assertThat(second.needs().amount("license")).isEqualTo(1.0);
        assertThat(admission.inUse().cpus()).isEqualTo(1.0);
        second.close();
        waiter.join();
    }

    @Test
    void aWaitingCallCanBeInterruptedAndHoldsNothing() throws Exception {
        WorkerAdmission.Permit all = admission.acquire(Resources.NONE.withCpus(2));
        CompletableFuture<Void> waiting = new CompletableFuture<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                admission.acquire(Resources.NONE.withCpus(1));
                waiting.complete(null);
            } catch (InterruptedException e) {
                waiting.completeExceptionally(e);
            }
        });
        Thread.sleep(100);
        waiter.interrupt();
        waiter.join(5_000);

        assertThat(waiting).isCompletedExceptionally();
        all.close();
        assertThat(admission.inUse()).isEqualTo(Resources.NONE);
    }

    @Test
    void aCallThatCanNeverFitSaysWhatIsMissing() {
        assertThat(admission.whyNeverFits(Resources.DEFAULT.withGpus(1)))
                .isEqualTo("needs gpus=1, this worker offers gpus=0");
        assertThat(admission.whyNeverFits(Resources.DEFAULT.withCpus(4).withMemory("16g")))
                .isEqualTo("needs cpus=4, memory=16 GiB, this worker offers cpus=2, memory=4 GiB");
        assertThat(admission.whyNeverFits(Resources.DEFAULT.with("fpga", 1)))
                .isEqualTo("needs fpga=1, this worker offers fpga=0");
        assertThat(admission.whyNeverFits(Resources.DEFAULT.withCpus(2))).isNull();
        assertThatThrownBy(() -> admission.acquire(Resources.DEFAULT.withGpus(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("can never be admitted");
        assertThat(admission.tryAcquire(Resources.DEFAULT.withGpus(1))).isNull();
        assertThat(admission.admitted()).isZero();
    }
}
