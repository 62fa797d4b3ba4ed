package dev.skein.topologies.routing;

import dev.skein.events.ResourceSpec;
import dev.skein.schemas.resources.ByteSize;
import dev.skein.schemas.resources.Resources;
import java.util.Map;
import java.util.TreeMap;

/**
 * A tier: the envelope of resources a tool call may need to be sent to its topic
 * {@code skein.tools.<name>}. A call fits when each need is within the envelope's maximum, and at
 * least its minimum number of GPUs (so a GPU tier takes only GPU work). "Within" is the fit rule
 * of {@link Resources}, the one workers admit calls by.
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
        // Validates the custom bounds as every other amount of resources is validated.
        new Resources(maxCpus, maxGpus, maxMemoryBytes, maxCustom);
    }

    /** An envelope with no GPUs and no custom resources. */
    public static TierEnvelope cpu(String name, double maxCpus, long maxMemoryBytes) {
        return new TierEnvelope(name, maxCpus, maxMemoryBytes, 0, 0, Map.of());
    }

    /** The most a call of this tier may need of each resource. */
    public Resources maximum() {
        return new Resources(maxCpus, maxGpus, maxMemoryBytes, maxCustom);
    }

    public boolean fits(ResourceSpec needs) {
        return fits(Resources.of(needs));
    }

    public boolean fits(Resources needs) {
        return needs.gpus() >= minGpus && needs.fitsWithin(maximum());
    }

    /** For messages: "small (cpus<=1, memory<=1 GiB)". */
    public String describe() {
        StringBuilder text = new StringBuilder(name)
                .append(" (cpus<=")
                .append(Resources.number(maxCpus))
                .append(", memory<=")
                .append(ByteSize.format(maxMemoryBytes));
        if (maxGpus > 0) {
            text.append(", gpus ").append(minGpus).append("..").append(maxGpus);
        }
        new TreeMap<>(maxCustom)
                .forEach((k, v) -> text.append(", ").append(k).append("<=").append(Resources.number(v)));
        return text.append(')').toString();
    }
}
