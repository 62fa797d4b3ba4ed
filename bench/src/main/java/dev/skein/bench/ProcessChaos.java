package dev.skein.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Random;

/** The chaos soak's: a random {@code skein core}, {@code agents} or {@code worker} process SIGKILLed and started again at once. */
final class ProcessChaos implements Chaos {

    private final List<Soak.Node> nodes;
    private final Random random;
    private final PrintStream console;

    ProcessChaos(List<Soak.Node> nodes, long seed, PrintStream console) {
        this.nodes = List.copyOf(nodes);
        this.random = new Random(seed);
        this.console = console;
    }

    @Override
    public Soak.Kill strike(long loadStart) throws Exception {
        Soak.Node victim = nodes.get(random.nextInt(nodes.size()));
        long killedAt = System.nanoTime();
        long pid = victim.process().pid();
        victim.process().kill();
        victim.process().restart();
        console.printf(
                "Soak: %5.1f s  SIGKILL %s (pid %d), restarted as pid %d%n",
                (killedAt - loadStart) / 1e9,
                victim.name(),
                pid,
                victim.process().pid());
        return new Soak.Kill(
                victim.name(),
                victim.role(),
                pid,
                (killedAt - loadStart) / 1_000_000,
                (System.nanoTime() - killedAt) / 1_000_000);
    }
}
