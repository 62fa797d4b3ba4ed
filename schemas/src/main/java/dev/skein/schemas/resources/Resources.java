package dev.skein.schemas.resources;

import dev.skein.events.ResourceSpec;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * An amount of hardware: what one tool call needs, what a node offers, what running calls hold,
 * what a tier allows. {@code cpus} is fractional, {@code memoryBytes} in bytes, and custom
 * resources (a licence, an FPGA) are counted by name. The wire form is {@link ResourceSpec}.
 *
 * <p>The fit rule is the one the router and the workers' admission share, so that a call routed
 * to a tier is one its workers admit: {@code needs} fits {@code capacity} when each resource of
 * the needs is at most the capacity's. Whole amounts (gpus, memory bytes) compare exactly;
 * fractional ones (cpus, custom resources) within {@link #TOLERANCE}, because sums of fractions
 * such as 0.1 + 0.2 are not exact in binary and must still fit a capacity of 0.3.
 */
public record Resources(double cpus, int gpus, long memoryBytes, Map<String, Double> custom) {

    /** 512 MiB: the memory of a tool that declares none. */
    public static final long DEFAULT_MEMORY_BYTES = 512L * 1024 * 1024;

    /** What a tool needs when it declares nothing: 1 cpu and 512 MiB. */
    public static final Resources DEFAULT = new Resources(1.0, 0, DEFAULT_MEMORY_BYTES, Map.of());

    /** Nothing at all. */
    public static final Resources NONE = new Resources(0, 0, 0, Map.of());

    /** How much a fractional need may exceed its capacity and still fit: rounding, not a real excess. */
    public static final double TOLERANCE = 1e-9;

    public Resources {
        if (!Double.isFinite(cpus) || cpus < 0) {
            throw new IllegalArgumentException("cpus must be a finite number of at least 0, got " + cpus);
        }
        if (gpus < 0) {
            throw new IllegalArgumentException("gpus must be at least 0, got " + gpus);
        }
        if (memoryBytes < 0) {
            throw new IllegalArgumentException("memoryBytes must be at least 0, got " + memoryBytes);
        }
        TreeMap<String, Double> sorted = new TreeMap<>();
        for (Map.Entry<String, Double> entry : custom.entrySet()) {
            String name = entry.getKey();
            if (name == null
                    || !name.matches("[a-z][a-z0-9_.-]{0,63}")
                    || Set.of("cpus", "gpus", "memory").contains(name)) {
                throw new IllegalArgumentException("custom resource name '" + name
                        + "' must be 1 to 64 of a-z 0-9 _ . - starting with a letter, and not cpus, gpus or memory");
            }
            Double amount = entry.getValue();
            if (amount == null || !Double.isFinite(amount) || amount < 0) {
                throw new IllegalArgumentException(
                        "custom resource " + name + " must be a finite amount of at least 0, got " + amount);
            }
            sorted.put(name, amount);
        }
        custom = Collections.unmodifiableMap(sorted);
    }

    public static Resources of(ResourceSpec spec) {
        return new Resources(
                spec.getCpus(),
                spec.getGpus(),
                spec.getMemoryBytes(),
                spec.getCustom() == null ? Map.of() : Map.copyOf(spec.getCustom()));
    }

    public ResourceSpec toSpec() {
        return ResourceSpec.newBuilder()
                .setCpus(cpus)
                .setGpus(gpus)
                .setMemoryBytes(memoryBytes)
                .setCustom(new TreeMap<>(custom))
                .build();
    }

    public Resources withCpus(double amount) {
        return new Resources(amount, gpus, memoryBytes, custom);
    }

    public Resources withGpus(int amount) {
        return new Resources(cpus, amount, memoryBytes, custom);
    }

    public Resources withMemoryBytes(long bytes) {
        return new Resources(cpus, gpus, bytes, custom);
    }

    /** With memory given as a size such as {@code 2g} or {@code 16GiB} (see {@link ByteSize}). */
    public Resources withMemory(String size) {
        return withMemoryBytes(ByteSize.parse(size));
    }

    /** With {@code amount} of the custom resource {@code name} (replacing any amount given before). */
    public Resources with(String name, double amount) {
        Map<String, Double> more = new TreeMap<>(custom);
        more.put(name, amount);
        return new Resources(cpus, gpus, memoryBytes, more);
    }

    /** The amount of {@code resource}: {@code cpus}, {@code gpus}, {@code memory} (bytes) or a custom name (0 if absent). */
    public double amount(String resource) {
        return switch (resource) {
            case "cpus" -> cpus;
            case "gpus" -> gpus;
            case "memory" -> memoryBytes;
            default -> custom.getOrDefault(resource, 0.0);
        };
    }

    /** {@code cpus}, {@code gpus}, {@code memory} and the custom names, in that order. */
    public List<String> names() {
        List<String> names = new ArrayList<>(List.of("cpus", "gpus", "memory"));
        names.addAll(custom.keySet());
        return names;
    }

    public Resources plus(Resources other) {
        return combine(other, 1);
    }

    /** This minus {@code other}, never below zero (rounding of fractional cpus). */
    public Resources minus(Resources other) {
        return combine(other, -1);
    }

    private Resources combine(Resources other, int sign) {
        Map<String, Double> sum = new TreeMap<>(custom);
        other.custom.forEach((name, amount) -> sum.merge(name, sign * amount, Double::sum));
        sum.replaceAll((name, amount) -> Math.max(0, amount));
        return new Resources(
                Math.max(0, cpus + sign * other.cpus),
                Math.max(0, gpus + sign * other.gpus),
                Math.max(0, memoryBytes + sign * other.memoryBytes),
                sum);
    }

    /** True when every resource of this fits within {@code capacity}. */
    public boolean fitsWithin(Resources capacity) {
        return exceeding(capacity).isEmpty();
    }

    /** True when this, taken as a capacity, has room for every resource of {@code needs}. */
    public boolean covers(Resources needs) {
        return needs.fitsWithin(this);
    }

    /** The resources of which this needs more than {@code capacity} has, in {@link #names()} order. */
    public List<String> exceeding(Resources capacity) {
        Set<String> all = new TreeSet<>(custom.keySet());
        all.addAll(capacity.custom.keySet());
        List<String> names = new ArrayList<>(List.of("cpus", "gpus", "memory"));
        names.addAll(all);
        return names.stream().filter(name -> exceeds(name, capacity)).toList();
    }

    /**
     * Each resource of {@code needs} that this, taken as a capacity, lacks, with the amount needed:
     * {@code gpus=1}, {@code memory=16 GiB}, {@code license=2}.
     */
    public List<String> missing(Resources needs) {
        return needs.exceeding(this).stream()
                .map(name -> needs.describe(List.of(name)))
                .toList();
    }

    private boolean exceeds(String name, Resources capacity) {
        return switch (name) {
            case "memory" -> memoryBytes > capacity.memoryBytes;
            case "gpus" -> gpus > capacity.gpus;
            default -> amount(name) > capacity.amount(name) + TOLERANCE;
        };
    }

    /** {@code resource=amount} for each of {@code resources}: {@code gpus=1}, {@code memory=16 GiB}, {@code cpus=0.5}. */
    public String describe(List<String> resources) {
        List<String> parts = new ArrayList<>();
        for (String name : resources) {
            parts.add(name + "=" + (name.equals("memory") ? ByteSize.format(memoryBytes) : number(amount(name))));
        }
        return String.join(", ", parts);
    }

    /** Needs in words: {@code cpus=1, memory=512 MiB}, with gpus only when some are needed, then the custom ones. */
    public String describe() {
        List<String> names = new ArrayList<>(names());
        if (gpus == 0) {
            names.remove("gpus");
        }
        return describe(names);
    }

    /** An amount as messages print it: {@code 1}, {@code 0.5}, {@code 0.30000000000000004}. */
    public static String number(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    @Override
    public String toString() {
        return describe(names());
    }
}
