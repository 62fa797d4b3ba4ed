package dev.skein.workers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.events.ResourceSpec;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.workers.builtin.BuiltinTools;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ToolInvokerTest {

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final CountDownLatch interrupted = new CountDownLatch(1);
    private final List<Tool> tools = new ArrayList<>(BuiltinTools.all());
    private final List<Duration> sleeps = new java.util.concurrent.CopyOnWriteArrayList<>();
    private ToolInvoker invoker;

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void runsTheToolAndReportsWhereAndHowOften() throws Exception {
        ToolResult result = invoker()
                .invoke(request("calculator", "{\"expression\":\"12*7\"}", 0), 2)
                .result();

        assertThat(result.getStatus()).isEqualTo(ToolStatus.OK);
        assertThat(result.getOutput()).isEqualTo("84");
        assertThat(result.getWorker()).isEqualTo("w1");
        assertThat(result.getDeliveryCount()).isEqualTo(2);
        assertThat(result.getCallId()).isEqualTo("call-1");
        assertThat(result.getTurnId()).isEqualTo("t1");
    }

    @Test
    void anUnknownToolIsAnError() throws Exception {
        ToolResult result = invoker().invoke(request("weather", "{}", 0), 1).result();

        assertThat(result.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(result.getOutput()).startsWith("no tool named 'weather' on worker w1");
    }

    @Test
    void toolsOfferedWhileRunningAreCalledAndWithdrawnOnesAreNot() throws Exception {
        ToolInvoker invoker = invoker();
        invoker.offer(List.of(Tools.define("weather").handler(args -> "sunny")));
        assertThat(invoker.invoke(request("weather", "{}", 0), 1).result().getOutput())
                .isEqualTo("sunny");

        invoker.withdraw(List.of("weather"));
        ToolResult gone = invoker.invoke(request("weather", "{}", 0), 1).result();
        assertThat(gone.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(gone.getOutput()).startsWith("no tool named 'weather'");
        assertThat(invoker.tools()).containsKey("calculator").doesNotContainKey("weather");
    }

    @Test
    void argumentsMustBeAJsonObject() throws Exception {
        ToolResult array =
                invoker().invoke(request("calculator", "[1,2]", 0), 1).result();
        ToolResult broken = invoker()
                .invoke(request("calculator", "{\"expression\":", 0), 1)
                .result();

        assertThat(array.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(array.getOutput()).isEqualTo("the arguments of calculator must be a JSON object, got: [1,2]");
        assertThat(broken.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(broken.getOutput()).startsWith("the arguments of calculator are not valid JSON");
    }

    @Test
    void aToolFailureReachesTheAgentWordForWord() throws Exception {
        ToolResult result = invoker()
                .invoke(request("calculator", "{\"expression\":\"1/0\"}", 0), 1)
                .result();

        assertThat(result.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(result.getOutput()).isEqualTo("division by zero in '1/0'");
    }

    @Test
    void aSlowToolTimesOutAndIsInterrupted() throws Exception {
        tools.add(new SlowTool(200));

        ToolResult result = invoker().invoke(request("slow", "{}", 0), 1).result();

        assertThat(result.getStatus()).isEqualTo(ToolStatus.TIMEOUT);
        assertThat(result.getOutput()).isEqualTo("slow timed out after 200 ms");
        assertThat(interrupted.await(5, TimeUnit.SECONDS))
                .as("the tool's thread was interrupted")
                .isTrue();
    }

    @Test
    void aCallPastItsDeadlineIsNotRun() throws Exception {
        tools.add(new SlowTool(60_000));

        ToolResult result = invoker()
                .invoke(request("slow", "{}", System.currentTimeMillis() - 1_000), 1)
                .result();

        assertThat(result.getStatus()).isEqualTo(ToolStatus.TIMEOUT);
        assertThat(result.getOutput()).startsWith("slow was not run: the call's deadline passed");
        assertThat(interrupted.getCount()).as("the tool never started").isEqualTo(1);
    }

    @Test
    void aRetryableFailureRunsAgainAfterTheBackoffUntilItSucceeds() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        tools.add(Tools.define("flaky")
                .retry(Retry.none()
                        .withMaxAttempts(4)
                        .withBackoff(Duration.ofMillis(100), 3.0, Duration.ofMillis(250))
                        .on(IOException.class))
                .handler(args -> {
                    if (calls.incrementAndGet() < 4) {
                        throw new java.net.SocketException("connection reset " + calls.get());
                    }
                    return "done";
                }));

        ToolInvoker.Invocation invocation = invoker().invoke(request("flaky", "{}", 0), 1);

        assertThat(invocation.result().getStatus()).isEqualTo(ToolStatus.OK);
        assertThat(invocation.result().getOutput()).isEqualTo("done");
        assertThat(invocation.result().getAttempts()).isEqualTo(4);
        assertThat(invocation.exhausted()).isFalse();
        // SocketException is an IOException: matched as a catch would; backoff 100, 300 capped at 250, 250.
        assertThat(sleeps).containsExactly(Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(250));
    }

    @Test
    void exhaustedRetriesGiveAnErrorThatSaysHowOftenAndACauseForTheDeadLetters() throws Exception {
        tools.add(Tools.define("broken")
                .retry(Retry.none().withMaxAttempts(3).on("IllegalStateException"))
                .handler(args -> {
                    throw new IllegalStateException("disk full");
                }));

        ToolInvoker.Invocation invocation = invoker().invoke(request("broken", "{}", 0), 1);

        assertThat(invocation.result().getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(invocation.result().getOutput())
                .isEqualTo("broken failed after 3 attempts: broken failed: IllegalStateException: disk full");
        assertThat(invocation.result().getAttempts()).isEqualTo(3);
        assertThat(invocation.exhaustedCause()).isEqualTo(invocation.result().getOutput());
        assertThat(sleeps).hasSize(2);
    }

    @Test
    void aFailureTheRetryPolicyDoesNotNameIsAnsweredAtOnce() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        tools.add(Tools.define("picky")
                .retry(Retry.none().withMaxAttempts(5).on(IOException.class))
                .handler(args -> {
                    calls.incrementAndGet();
                    throw new ToolFailure("no such city");
                }));

        ToolInvoker.Invocation invocation = invoker().invoke(request("picky", "{}", 0), 1);

        assertThat(invocation.result().getOutput()).isEqualTo("no such city");
        assertThat(invocation.result().getAttempts()).isEqualTo(1);
        assertThat(invocation.exhausted()).isFalse();
        assertThat(calls).hasValue(1);
        assertThat(sleeps).isEmpty();
    }

    @Test
    void aRetryableToolFailureRetriesWithoutBeingNamed() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        tools.add(Tools.define("busy").retry(Retry.none().withMaxAttempts(2)).handler(args -> {
            if (calls.incrementAndGet() == 1) {
                throw ToolFailure.retryable("busy, try later");
            }
            return "ok";
        }));

        assertThat(invoker().invoke(request("busy", "{}", 0), 1).result().getAttempts())
                .isEqualTo(2);
    }

    @Test
    void timeoutsRetryOnlyWhenThePolicySaysSo() throws Exception {
        tools.add(new SlowTool(50) {
            @Override
            public Retry retry() {
                return Retry.none().withMaxAttempts(2).onTimeout();
            }
        });

        ToolInvoker.Invocation invocation = invoker().invoke(request("slow", "{}", 0), 1);

        assertThat(invocation.result().getStatus()).isEqualTo(ToolStatus.TIMEOUT);
        assertThat(invocation.result().getOutput())
                .isEqualTo("slow failed after 2 attempts: slow timed out after 50 ms");
        assertThat(invocation.exhausted()).isTrue();
    }

    private ToolInvoker invoker() {
        invoker = new ToolInvoker(tools, "w1", threads, System::currentTimeMillis, sleeps::add);
        return invoker;
    }

    private static ToolRequest request(String tool, String arguments, long deadlineMs) {
        return ToolRequest.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStep(0)
                .setCallId("call-1")
                .setTool(tool)
                .setArgumentsJson(arguments)
                .setTier("small")
                .setResources(ResourceSpec.newBuilder().build())
                .setDeadlineMs(deadlineMs)
                .setRequestedAtMs(0)
                .build();
    }

    /** Sleeps far longer than its timeout and records that it was interrupted. */
    private class SlowTool implements Tool {
        private final long timeoutMs;

        SlowTool(long timeoutMs) {
            this.timeoutMs = timeoutMs;
        }

        @Override
        public String name() {
            return "slow";
        }

        @Override
        public String description() {
            return "sleeps";
        }

        @Override
        public String parametersSchema() {
            return "{\"type\":\"object\"}";
        }

        @Override
        public Duration timeout() {
            return Duration.ofMillis(timeoutMs);
        }

        @Override
        public String run(JsonNode arguments) throws InterruptedException {
            try {
                Thread.sleep(120_000);
                return "woke up";
            } catch (InterruptedException e) {
                interrupted.countDown();
                throw e;
            }
        }
    }
}
