package dev.skein.topologies.session;

import dev.skein.events.DoubleTexting;
import dev.skein.schemas.TenantAccess;
import dev.skein.topologies.context.ContextSettings;
import dev.skein.topologies.routing.TierEnvelope;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A {@link SessionTopologyConfig} for tests, with explicit values that a test overrides where it
 * cares. These are test values, chosen to equal the product's at the time of writing; the
 * product's defaults are written once, in the app's {@code reference.conf}.
 */
final class TestSessionConfig {

    private static final long GIB = 1L << 30;

    /** small (1 cpu, 1 GiB), large (8 cpus, 32 GiB), highmem (16 cpus, 256 GiB), gpu (1 to 8 GPUs). */
    static final List<TierEnvelope> TIERS = List.of(
            TierEnvelope.cpu("small", 1, GIB),
            TierEnvelope.cpu("large", 8, 32 * GIB),
            TierEnvelope.cpu("highmem", 16, 256 * GIB),
            new TierEnvelope("gpu", 32, 512 * GIB, 1, 8, Map.of()));

    private String defaultAgent = "demo";
    private Duration turnTimeout = Duration.ofMinutes(2);
    private int maxQueuedTurns = 16;
    private int maxSteps = 10;
    private int maxAgentAttempts = 3;
    private int contextMessages = 50;
    private List<TierEnvelope> tiers = TIERS;
    private Duration deadlineCheckInterval = Duration.ofMillis(500);
    private int rememberedTurnIds = 64;
    private Duration workerTimeout = Duration.ofSeconds(15);
    private Duration cacheTtl = Duration.ofMinutes(10);
    private ApprovalPolicy approvals = ApprovalPolicy.NONE;
    private TenantAccess access = TenantAccess.OPEN;
    private DoubleTexting doubleTexting = DoubleTexting.ENQUEUE;
    private ContextSettings context = ContextSettings.UNBOUNDED;
    private int traceKeepTurns = 20;
    private AgentTools agentTools = AgentTools.ALL;
    private ExtractionSettings extraction = ExtractionSettings.OFF;
    private SessionRetention retention = SessionRetention.OFF;

    private TestSessionConfig() {}

    static TestSessionConfig builder() {
        return new TestSessionConfig();
    }

    TestSessionConfig turnTimeout(Duration value) {
        this.turnTimeout = value;
        return this;
    }

    TestSessionConfig maxQueuedTurns(int value) {
        this.maxQueuedTurns = value;
        return this;
    }

    TestSessionConfig maxSteps(int value) {
        this.maxSteps = value;
        return this;
    }

    TestSessionConfig maxAgentAttempts(int value) {
        this.maxAgentAttempts = value;
        return this;
    }

    TestSessionConfig contextMessages(int value) {
        this.contextMessages = value;
        return this;
    }

    TestSessionConfig rememberedTurnIds(int value) {
        this.rememberedTurnIds = value;
        return this;
    }

    TestSessionConfig approvals(ApprovalPolicy value) {
        this.approvals = value;
        return this;
    }

    TestSessionConfig access(TenantAccess value) {
        this.access = value;
        return this;
    }

    TestSessionConfig traceKeepTurns(int value) {
        this.traceKeepTurns = value;
        return this;
    }

    TestSessionConfig doubleTexting(DoubleTexting value) {
        this.doubleTexting = value;
        return this;
    }

    TestSessionConfig agentTools(AgentTools value) {
        this.agentTools = value;
        return this;
    }

    TestSessionConfig extraction(ExtractionSettings value) {
        this.extraction = value;
        return this;
    }

    TestSessionConfig context(ContextSettings value) {
        this.context = value;
        return this;
    }

    TestSessionConfig retention(SessionRetention value) {
        this.retention = value;
        return this;
    }

    SessionTopologyConfig build() {
        return new SessionTopologyConfig(
                defaultAgent,
                turnTimeout,
                maxQueuedTurns,
                maxSteps,
                maxAgentAttempts,
                contextMessages,
                tiers,
                deadlineCheckInterval,
                rememberedTurnIds,
                workerTimeout,
                cacheTtl,
                approvals,
                access,
                doubleTexting,
                context,
                traceKeepTurns,
                agentTools,
                extraction,
                retention);
    }
}
