package dev.skein.workers.builtin;

import com.fasterxml.jackson.databind.JsonNode;
import dev.skein.workers.Tool;
import dev.skein.workers.ToolFailure;
import java.util.BitSet;

/**
 * Counts the primes below a limit with a sieve of Eratosthenes over the odd numbers: a deliberately
 * CPU-heavy tool (about a second for the largest limit) to show scheduling on worker pools.
 */
public final class CountPrimesTool implements Tool {

    public static final String NAME = "count_primes";
    public static final long MAX_LIMIT = 50_000_000;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Counts the prime numbers below a limit (at most 50,000,000), e.g. limit 100000 gives 9592. CPU-heavy.";
    }

    @Override
    public String parametersSchema() {
        return """
                {"type":"object",\
                "properties":{"limit":{"type":"integer","minimum":0,"maximum":50000000,\
                "description":"Count the primes p with p < limit"}},\
                "required":["limit"],"additionalProperties":false}""";
    }

    @Override
    public boolean cacheable() {
        return true;
    }

    @Override
    public String run(JsonNode arguments) throws ToolFailure, InterruptedException {
        JsonNode node = arguments.get("limit");
        if (node == null || !node.canConvertToLong() || !node.isIntegralNumber()) {
            throw new ToolFailure("count_primes needs {\"limit\": <integer>}, e.g. {\"limit\": 100000}");
        }
        long limit = node.asLong();
        if (limit < 0 || limit > MAX_LIMIT) {
            throw new ToolFailure("limit must be between 0 and " + MAX_LIMIT + ", got " + limit);
        }
        return Long.toString(countBelow((int) limit));
    }

    /** The number of primes p with p &lt; limit; throws InterruptedException when interrupted. */
    static long countBelow(int limit) throws InterruptedException {
        if (limit <= 2) {
            return 0;
        }
        // Bit i stands for the odd number 2i+1; a set bit means composite. Half the memory of a full sieve.
        int size = limit / 2; // the odd numbers below limit
        BitSet composite = new BitSet(size);
        composite.set(0); // 1 is not prime
        for (long p = 3; p * p < limit; p += 2) {
            if (Thread.interrupted()) {
                throw new InterruptedException("count_primes interrupted while sieving below " + limit);
            }
            if (!composite.get((int) (p / 2))) {
                for (long multiple = p * p; multiple < limit; multiple += 2 * p) {
                    composite.set((int) (multiple / 2));
                }
            }
        }
        return 1 + (size - composite.cardinality()); // 1 for the prime 2
    }

    /** It computes: safe to start before the session topology commits its request. */
    @Override
    public boolean sideEffects() {
        return false;
    }
}
