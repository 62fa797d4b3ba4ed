package dev.skein.app.testing;

import dev.skein.events.ResourceSpec;
import dev.skein.events.ToolRequest;

/** Events the broker tests produce by hand. */
public final class TestEvents {

    private TestEvents() {}

    /** A request of session acme/s1, turn t1, for {@code tool} on {@code tier}, due in two minutes. */
    public static ToolRequest toolRequest(String tier, String callId, String tool, String arguments) {
        long now = System.currentTimeMillis();
        return ToolRequest.newBuilder()
                .setTenant("acme")
                .setSessionId("s1")
                .setTurnId("t1")
                .setStep(0)
                .setCallId(callId)
                .setTool(tool)
                .setArgumentsJson(arguments)
                .setTier(tier)
                .setResources(ResourceSpec.newBuilder().build())
                .setDeadlineMs(now + 120_000)
                .setRequestedAtMs(now)
                .build();
    }
}
