package dev.skein.integration.memory;

import dev.skein.adapters.AgentAdapter;
import dev.skein.adapters.AgentAdapterFactory;
import dev.skein.adapters.AgentReply;
import dev.skein.adapters.AgentSpec;
import dev.skein.adapters.DeltaSink;
import dev.skein.adapters.demo.DemoAgent;
import dev.skein.events.AgentInvocation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Kind {@code holding-extractor}, found by ServiceLoader in a {@code skein up} started from the test
 * classpath: the demo agent's extraction, except that while the file named by
 * {@value #HOLD_ENV} exists it writes {@code <that file>.taken} and holds the request (it never
 * answers), so that a test can SIGKILL the process at the moment of extraction.
 */
public final class HoldingExtractorFactory implements AgentAdapterFactory {

    static final String HOLD_ENV = "SKEIN_IT_EXTRACTOR_HOLD";

    @Override
    public String kind() {
        return "holding-extractor";
    }

    @Override
    public AgentAdapter create(AgentSpec spec, Map<String, String> environment) {
        Path hold = Path.of(environment.getOrDefault(HOLD_ENV, System.getProperty("java.io.tmpdir") + "/no-hold"));
        DemoAgent demo = new DemoAgent(spec.name());
        return new AgentAdapter() {
            @Override
            public String name() {
                return spec.name();
            }

            @Override
            public AgentReply decide(AgentInvocation invocation, DeltaSink deltas) throws Exception {
                if (Files.exists(hold)) {
                    Files.writeString(hold.resolveSibling(hold.getFileName() + ".taken"), invocation.getTurnId());
                    Thread.sleep(Long.MAX_VALUE);
                }
                return demo.decide(invocation, deltas);
            }
        };
    }
}
