package dev.skein.workers;

import dev.skein.events.ToolRequest;
import dev.skein.schemas.SkeinTopics;
import dev.skein.schemas.kafka.Dispatch;
import java.util.List;
import org.apache.kafka.common.IsolationLevel;

/**
 * One share group a worker joins on a tier's topic, and the calls it runs (docs/dispatch.md). A
 * committed or speculative tier has one group that runs every call. A by-tool tier has two on the
 * same topic: the tier's group, read committed, runs the calls of tools with side effects; its
 * speculative sibling, read uncommitted, runs the calls of tools declared free of them. Each group
 * receives every request and ACCEPTs the other group's calls without running them, so each call
 * runs in exactly one group, decided by the request's own flag (set by the topology from the
 * catalog), never by what one worker happens to know about the tool.
 *
 * @param group the share group
 * @param isolation the group's {@code share.isolation.level}
 * @param runs which calls it runs
 */
record TierShare(String group, IsolationLevel isolation, Runs runs) {

    /** Which calls of the topic a group runs. */
    enum Runs {
        ALL,
        WITH_SIDE_EFFECTS,
        FREE_OF_SIDE_EFFECTS;

        boolean takes(ToolRequest request) {
            return switch (this) {
                case ALL -> true;
                case WITH_SIDE_EFFECTS -> request.getSideEffects();
                case FREE_OF_SIDE_EFFECTS -> !request.getSideEffects();
            };
        }
    }

    /** What names the loop and the client of this group apart from the tier's other one. */
    String suffix() {
        return runs == Runs.FREE_OF_SIDE_EFFECTS ? "-speculative" : "";
    }

    /** The groups of {@code tier} in {@code mode}. */
    static List<TierShare> of(SkeinTopics topics, String tier, Dispatch mode) {
        String group = topics.workerGroup(tier);
        return switch (mode) {
            case COMMITTED -> List.of(new TierShare(group, IsolationLevel.READ_COMMITTED, Runs.ALL));
            case SPECULATIVE -> List.of(new TierShare(group, IsolationLevel.READ_UNCOMMITTED, Runs.ALL));
            case BY_TOOL ->
                List.of(
                        new TierShare(group, IsolationLevel.READ_COMMITTED, Runs.WITH_SIDE_EFFECTS),
                        new TierShare(
                                Dispatch.speculativeGroup(group),
                                IsolationLevel.READ_UNCOMMITTED,
                                Runs.FREE_OF_SIDE_EFFECTS));
        };
    }
}
