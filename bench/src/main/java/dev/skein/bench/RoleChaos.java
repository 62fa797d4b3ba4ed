package dev.skein.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One process of each role killed in turn, as a deployment loses them: a {@code skein core}, the
 * {@code agents}, a {@code worker}, then (on a cluster) a broker, and round again. A process comes
 * back at once on its own data and id, as its StatefulSet or Deployment would restart it; a broker
 * comes back as {@link BrokerChaos} brings it.
 */
final class RoleChaos implements Chaos {

    private final List<Chaos> inTurn;
    private int next;

    private RoleChaos(List<Chaos> inTurn) {
        this.inTurn = List.copyOf(inTurn);
    }

    /** @param brokers the cluster's chaos, or null on a single broker (which is then never killed) */
    static RoleChaos of(List<Soak.Node> nodes, BrokerChaos brokers, PrintStream console) {
        Map<String, Soak.Node> firstOfRole = new LinkedHashMap<>();
        nodes.forEach(node -> firstOfRole.putIfAbsent(node.role(), node));
        List<Chaos> inTurn = new ArrayList<>();
        for (String role : List.of("core", "agents", "worker")) {
            Soak.Node node = firstOfRole.get(role);
            if (node != null) {
                // A process chaos over one node always picks that node.
                inTurn.add(new ProcessChaos(List.of(node), 0, console));
            }
        }
        if (brokers != null) {
            inTurn.add(brokers);
        }
        return new RoleChaos(inTurn);
    }

    @Override
    public Soak.Kill strike(long loadStart) throws Exception {
        Chaos chaos = inTurn.get(next);
        next = (next + 1) % inTurn.size();
        return chaos.strike(loadStart);
    }
}
