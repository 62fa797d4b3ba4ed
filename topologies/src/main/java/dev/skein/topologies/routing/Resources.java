package dev.skein.topologies.routing;

import dev.skein.events.ResourceSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Comparing and describing resource specs, in the words error messages use. */
public final class Resources {

    private static final long GIB = 1L << 30;
    private static final long MIB = 1L << 20;

    private Resources() {}

    /** True when {@code offered} covers every one of {@code needs}. */
    public static boolean covers(ResourceSpec offered, ResourceSpec needs) {
        return missing(offered, needs).isEmpty();
    }

    /** Each need that {@code offered} does not cover, as "gpus=1", "memory=16 GiB", "license=2". */
    public static List<String> missing(ResourceSpec offered, ResourceSpec needs) {
        List<String> missing = new ArrayList<>();
        if (needs.getCpus() > offered.getCpus()) {
            missing.add("cpus=" + number(needs.getCpus()));
        }
        if (needs.getGpus() > offered.getGpus()) {
            missing.add("gpus=" + needs.getGpus());
        }
        if (needs.getMemoryBytes() > offered.getMemoryBytes()) {
            missing.add("memory=" + bytes(needs.getMemoryBytes()));
        }
        for (Map.Entry<String, Double> custom : new TreeMap<>(needs.getCustom()).entrySet()) {
            if (custom.getValue() > offered.getCustom().getOrDefault(custom.getKey(), 0.0)) {
                missing.add(custom.getKey() + "=" + number(custom.getValue()));
            }
        }
        return missing;
    }

    /** "cpus=1, memory=512 MiB" (gpus and custom resources only when needed). */
    public static String describe(ResourceSpec spec) {
        StringBuilder text = new StringBuilder("cpus=").append(number(spec.getCpus()));
        if (spec.getGpus() > 0) {
            text.append(", gpus=").append(spec.getGpus());
        }
        text.append(", memory=").append(bytes(spec.getMemoryBytes()));
        new TreeMap<>(spec.getCustom())
                .forEach((k, v) -> text.append(", ").append(k).append('=').append(number(v)));
        return text.toString();
    }

    static String number(double value) {
        return value == Math.rint(value) ? String.valueOf((long) value) : String.valueOf(value);
    }

    static String bytes(long bytes) {
        if (bytes % GIB == 0) {
            return bytes / GIB + " GiB";
        }
        if (bytes % MIB == 0) {
            return bytes / MIB + " MiB";
        }
        return bytes + " bytes";
    }
}
