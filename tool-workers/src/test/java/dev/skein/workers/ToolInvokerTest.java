package dev.skein.workers;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.events.ResourceSpec;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolResult;
import dev.skein.events.ToolStatus;
import dev.skein.workers.builtin.BuiltinTools;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ToolInvokerTest {

    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private final CountDownLatch interrupted = new CountDownLatch(1);
    private final List<Tool> tools = new ArrayList<>(BuiltinTools.all());
    private ToolInvoker invoker;

    @AfterEach
    void stopThreads() throws InterruptedException {
        threads.shutdownNow();
        assertThat(threads.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void runsTheToolAndReportsWhereAndHowOften() throws Exception {
        ToolResult result = invoker().invoke(request("calculator", "{\"expression\":\"12*7\"}", 0), 2);

        assertThat(result.getStatus()).isEqualTo(ToolStatus.OK);
        assertThat(result.getOutput()).isEqualTo("84");
        assertThat(result.getWorker()).isEqualTo("w1");
        assertThat(result.getDeliveryCount()).isEqualTo(2);
        assertThat(result.getCallId()).isEqualTo("call-1");
        assertThat(result.getTurnId()).isEqualTo("t1");
    }

    @Test
    void anUnknownToolIsAnError() throws Exception {
        ToolResult result = invoker().invoke(request("weather", "{}", 0), 1);

        assertThat(result.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(result.getOutput()).startsWith("no tool named 'weather' on worker w1");
    }

    @Test
    void argumentsMustBeAJsonObject() throws Exception {
        ToolResult array = invoker().invoke(request("calculator", "[1,2]", 0), 1);
        ToolResult broken = invoker().invoke(request("calculator", "{\"expression\":", 0), 1);

        assertThat(array.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(array.getOutput()).isEqualTo("the arguments of calculator must be a JSON object, got: [1,2]");
        assertThat(broken.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(broken.getOutput()).startsWith("the arguments of calculator are not valid JSON");
    }

    @Test
    void aToolFailureReachesTheAgentWordForWord() throws Exception {
        ToolResult result = invoker().invoke(request("calculator", "{\"expression\":\"1/0\"}", 0), 1);

        assertThat(result.getStatus()).isEqualTo(ToolStatus.ERROR);
        assertThat(result.getOutput()).isEqualTo("division by zero in '1/0'");
    }

    @Test
    void aSlowToolTimesOutAndIsInterrupted() throws Exception {
        tools.add(new SlowTool(200));

        ToolResult result = invoker().invoke(request("slow", "{}", 0), 1);

        assertThat(result.getStatus()).isEqualTo(ToolStatus.TIMEOUT);
        assertThat(result.getOutput()).isEqualTo("slow timed out after 200 ms");
        assertThat(interrupted.await(5, TimeUnit.SECONDS)).as("the tool's thread was interrupted").isTrue();
    }

    @Test
    void aCallPastItsDeadlineIsNotRun() throws Exception {
        tools.add(new SlowTool(60_000));

        ToolResult result = invoker().invoke(request("slow", "{}", System.currentTimeMillis() - 1_000), 1);

        assertThat(result.getStatus()).isEqualTo(ToolStatus.TIMEOUT);
        assertThat(result.getOutput()).startsWith("slow was not run: the call's deadline passed");
        assertThat(interrupted.getCount()).as("the tool never started").isEqualTo(1);
    }

    private ToolInvoker invoker() {
        invoker = new ToolInvoker(tools, "w1", threads, System::currentTimeMillis);
        return invoker;
    }

    private static ToolRequest request(String tool, String arguments, long deadlineMs) {
        return ToolRequest.newBuilder()
                .setTenant("acme").setSessionId("s1").setTurnId("t1").setStep(0).setCallId("call-1")
                .setTool(tool).setArgumentsJson(arguments).setTier("small")
                .setResources(ResourceSpec.newBuilder().build())
                .setDeadlineMs(deadlineMs).setRequestedAtMs(0)
                .build();
    }

    /** Sleeps far longer than its timeout and records that it was interrupted. */
    private final class SlowTool implements Tool {
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
        public long timeoutMs() {
            return timeoutMs;
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
