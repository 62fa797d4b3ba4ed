package dev.skein.topologies.routing;

import dev.skein.events.ResourceSpec;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tier: the envelope of resources a tool call may need to be sent to its topic
 * {@code skein.tools.<name>}. A call fits when each need is within the envelope's maximum, and at
 * least its minimum number of GPUs (so a GPU tier takes only GPU work).
 */
public record TierEnvelope(
        String name, double maxCpus, long maxMemoryBytes, int minGpus, int maxGpus, Map<String, Double> maxCustom) {

    public TierEnvelope {
        if (name == null || !name.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw new IllegalArgumentException("tier name '" + name + "' must be lowercase letters, digits and -");
        }
        if (maxCpus <= 0 || maxMemoryBytes <= 0 || minGpus < 0 || maxGpus < minGpus) {
            throw new IllegalArgumentException(
                    "tier " + name + ": needs max-cpus > 0, max-memory > 0 and" + " 0 <= min-gpus <= max-gpus");
        }
        maxCustom = Map.copyOf(maxCustom);
    }

    /** An envelope with no GPUs and no custom resources. */
    public static TierEnvelope cpu(String name, double maxCpus, long maxMemoryBytes) {
        return new TierEnvelope(name, maxCpus, maxMemoryBytes, 0, 0, Map.of());
    }

    public boolean fits(ResourceSpec needs) {
        if (needs.getCpus() > maxCpus
                || needs.getMemoryBytes() > maxMemoryBytes
                || needs.getGpus() < minGpus
                || needs.getGpus() > maxGpus) {
            return false;
        }
        for (var custom : needs.getCustom().entrySet()) {
            if (custom.getValue() > 0 && custom.getValue() > maxCustom.getOrDefault(custom.getKey(), 0.0)) {
                return false;
            }
        }
        return true;
    }

    /** For messages: "small (cpus<=1, memory<=1 GiB)". */
    public String describe() {
        StringBuilder text = new StringBuilder(name)
                .append(" (cpus<=")
                .append(Resources.number(maxCpus))
                .append(", memory<=")
                .append(Resources.bytes(maxMemoryBytes));
        if (maxGpus > 0) {
            text.append(", gpus ").append(minGpus).append("..").append(maxGpus);
        }
        new TreeMap<>(maxCustom)
                .forEach((k, v) -> text.append(", ").append(k).append("<=").append(Resources.number(v)));
        return text.append(')').toString();
    }
}
