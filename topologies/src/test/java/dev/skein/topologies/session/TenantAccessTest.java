package dev.skein.topologies.session;

import static dev.skein.topologies.session.SessionEvents.ADDRESS;
import static dev.skein.topologies.session.SessionEvents.START_MS;
import static dev.skein.topologies.session.SessionEvents.tool;
import static dev.skein.topologies.session.SessionEvents.toolCalls;
import static dev.skein.topologies.session.SessionEvents.turn;
import static dev.skein.topologies.session.SessionEvents.worker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.skein.events.AgentStep;
import dev.skein.events.StepKind;
import dev.skein.events.ToolCall;
import dev.skein.events.ToolDefinition;
import dev.skein.events.ToolRequest;
import dev.skein.events.ToolStatus;
import dev.skein.events.TurnRequested;
import dev.skein.events.TurnStatus;
import dev.skein.schemas.SessionAddress;
import dev.skein.schemas.TenantAccess;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The agents and tools of a tenant, enforced by the session state machine whatever produced the
 * turn: acme may use the agents demo and support and the tools calculator and square; every other
 * tenant may use everything.
 */
class TenantAccessTest {

    private SessionFixture fixture;

    @BeforeEach
    void start() {
        TenantAccess access = new TenantAccess(
                Map.of("acme", new TenantAccess.Rules(Set.of("demo", "support"), Set.of("calculator", "square"))),
                TenantAccess.Rules.EVERYTHING);
        fixture = new SessionFixture(TestSessionConfig.builder().access(access).build());
        fixture.addTool(tool("square", 0.5, false, false));
        fixture.addTool(tool("deploy", 0.5, false, false));
        fixture.addTool(tool("calculator", 0.5, false, false));
        fixture.addWorker(worker("worker-1", "small", 1, START_MS));
    }

    @Test
    void aTurnForAnAgentTheTenantMayNotUseIsRejectedWithTheReason() {
        TurnRequested turn =
                TurnRequested.newBuilder(turn("t1", "hi")).setAgent("admin").build();

        fixture.turns.request(ADDRESS, turn);

        assertThat(fixture.output.invocations).isEmpty();
        assertThat(fixture.output.completions).singleElement().satisfies(completed -> {
            assertThat(completed.getStatus()).isEqualTo(TurnStatus.REJECTED);
            assertThat(completed.getError())
                    .isEqualTo("agent 'admin' is not available to tenant acme; it may use demo, support");
        });
        // The rejected turn left the session as it was: the next turn, for the default agent, runs.
        fixture.turns.request(ADDRESS, turn("t2", "hi again"));
        assertThat(fixture.output.lastInvocation().getAgent()).isEqualTo("demo");
    }

    @Test
    void anotherTenantMayUseEveryAgent() {
        SessionAddress globex = new SessionAddress("globex", "s1");
        TurnRequested turn = TurnRequested.newBuilder(turn("t1", "hi"))
                .setTenant("globex")
                .setAgent("admin")
                .build();

        fixture.turns.request(globex, turn);

        assertThat(fixture.output.lastInvocation().getAgent()).isEqualTo("admin");
        assertThat(fixture.output.lastInvocation().getTools())
                .extracting(ToolDefinition::getName)
                .containsExactlyInAnyOrder("square", "deploy", "calculator");
    }

    @Test
    void theAgentIsOfferedOnlyTheToolsItsTenantMayUse() {
        fixture.turns.request(ADDRESS, turn("t1", "hi"));

        assertThat(fixture.output.lastInvocation().getTools())
                .extracting(ToolDefinition::getName)
                .containsExactlyInAnyOrder("square", "calculator");
    }

    @Test
    void aCallOfAToolTheTenantMayNotUseIsAnErrorTheAgentReadsAndIsCounted() {
        fixture.turns.request(ADDRESS, turn("t1", "use tools"));
        fixture.output.clear();

        Session session = fixture.sessions.find(ADDRESS).orElseThrow();
        fixture.toolCalls.dispatch(
                session,
                toolCalls("t1", 0, new ToolCall("a", "deploy", "{}"), new ToolCall("b", "calculator", "{\"n\":1}")));
        session.save();

        assertThat(fixture.output.requests).extracting(ToolRequest::getCallId).containsExactly("b");
        assertThat(fixture.meta().getActiveTurn().getPendingCalls().getFirst().getResult())
                .satisfies(result -> {
                    assertThat(result.getStatus()).isEqualTo(ToolStatus.ERROR);
                    assertThat(result.getOutput())
                            .isEqualTo("tool 'deploy' is not available to this tenant's agents; available tools:"
                                    + " calculator, square");
                });
        assertThat(fixture.refusedCalls).containsExactly("acme/deploy");
    }

    @Test
    void anUnknownToolsErrorListsOnlyTheToolsTheTenantMayUse() {
        fixture.turns.request(ADDRESS, turn("t1", "use tools"));
        Session session = fixture.sessions.find(ADDRESS).orElseThrow();
        fixture.toolCalls.dispatch(session, toolCalls("t1", 0, new ToolCall("a", "nope", "{}")));
        session.save();

        // Every call answered at once: the turn went on, with the error in its history.
        assertThat(fixture.history().getLast().getContent())
                .isEqualTo("unknown tool 'nope'; available tools: calculator, square");
        assertThat(fixture.refusedCalls).isEmpty();
    }

    @Test
    void aHandoffToAnAgentTheTenantMayNotUseFailsTheTurn() {
        fixture.turns.request(ADDRESS, turn("t1", "hi"));
        AgentStep handoff = SessionEvents.step("t1", 0, StepKind.HANDOFF)
                .setHandoffTo("admin")
                .setToolCalls(List.of(new ToolCall("h", "transfer_to_admin", "{}")))
                .build();

        fixture.steps.onStep(ADDRESS, handoff);

        assertThat(fixture.output.completions).singleElement().satisfies(completed -> {
            assertThat(completed.getStatus()).isEqualTo(TurnStatus.FAILED);
            assertThat(completed.getError()).contains("handed off to 'admin', which tenant acme may not use");
        });
    }
}
