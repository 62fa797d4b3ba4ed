package dev.skein.workers.builtin;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.skein.schemas.resources.Resources;
import dev.skein.workers.ToolFailure;
import dev.skein.workers.TypedTool;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Multiplies two random square matrices on as many threads as it declares cpus: the built-in tool
 * that needs more than the {@code small} tier offers (2 cpus; the matrices take about 100 MB at
 * the largest size), so that a new user sees a
 * call routed to {@code large}. The matrices come from a seed, so the answer (the trace of the
 * product) is the same on every worker.
 */
public final class MatrixMultiplyTool extends TypedTool<MatrixMultiplyTool.Arguments> {

    public static final String NAME = "matrix_multiply";
    public static final int MAX_SIZE = 2000;
    static final int THREADS = 2;

    /** The arguments: the matrices' size and, optionally, the seed they are drawn from. */
    public record Arguments(
            @JsonPropertyDescription("Rows and columns of each matrix (at most 2000)") @Min(1) @Max(MAX_SIZE)
            int size,

            @JsonPropertyDescription("Seed of the random matrices (default 1)")
            Long seed) {}

    public MatrixMultiplyTool() {
        super(Arguments.class);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "Multiplies two random size×size matrices (at most 2000) drawn from a seed and returns the trace"
                + " of the product. Needs 2 cpus: it runs on the large tier.";
    }

    @Override
    public Resources resources() {
        return Resources.DEFAULT.withCpus(THREADS).withMemory("512m");
    }

    @Override
    public Duration timeout() {
        return Duration.ofMinutes(2);
    }

    @Override
    protected String call(Arguments arguments) throws ToolFailure, InterruptedException {
        int n = arguments.size();
        if (n < 1 || n > MAX_SIZE) {
            throw new ToolFailure("size must be between 1 and " + MAX_SIZE + ", got " + n);
        }
        long seed = arguments.seed() == null ? 1 : arguments.seed();
        double trace = traceOfProduct(n, seed);
        return String.format(
                Locale.ROOT,
                "The trace of the product of two random %d×%d matrices (seed %d) is %.6f.",
                n,
                n,
                seed,
                trace);
    }

    /** trace(A·B) for A and B drawn from {@code seed}, the rows of the product split over {@link #THREADS}. */
    static double traceOfProduct(int n, long seed) throws InterruptedException {
        SplittableRandom random = new SplittableRandom(seed);
        double[][] a = matrix(n, random);
        double[][] b = transposed(matrix(n, random));
        ExecutorService pool = Executors.newFixedThreadPool(
                THREADS, Thread.ofPlatform().daemon().factory());
        try {
            List<Future<Double>> parts = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                int first = t;
                parts.add(pool.submit(() -> diagonalSum(a, b, first, THREADS)));
            }
            double trace = 0;
            for (Future<Double> part : parts) {
                trace += part.get();
            }
            return trace;
        } catch (ExecutionException e) {
            throw new IllegalStateException("matrix multiplication failed", e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    // Every row of the product is computed (the work a real product does); only its diagonal is kept.
    private static double diagonalSum(double[][] a, double[][] bT, int first, int step) throws InterruptedException {
        int n = a.length;
        double sum = 0;
        double[] row = new double[n];
        for (int i = first; i < n; i += step) {
            if (Thread.interrupted()) {
                throw new InterruptedException("matrix_multiply interrupted at row " + i);
            }
            for (int j = 0; j < n; j++) {
                double dot = 0;
                double[] left = a[i];
                double[] right = bT[j];
                for (int k = 0; k < n; k++) {
                    dot += left[k] * right[k];
                }
                row[j] = dot;
            }
            sum += row[i];
        }
        return sum;
    }

    private static double[][] matrix(int n, SplittableRandom random) {
        double[][] m = new double[n][n];
        for (double[] row : m) {
            for (int j = 0; j < n; j++) {
                row[j] = random.nextDouble(-1, 1);
            }
        }
        return m;
    }

    private static double[][] transposed(double[][] m) {
        int n = m.length;
        double[][] t = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                t[j][i] = m[i][j];
            }
        }
        return t;
    }

    /** It computes: safe to start before the session topology commits its request. */
    @Override
    public boolean sideEffects() {
        return false;
    }
}
