package dev.zipcache.benchmarks;

import dev.zipcache.engine.bench.BenchmarkRunner;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.sampling.Sampler;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Decode speed of several KV caches measured side by side in one process: one session per cache on the same model,
 * each prefilled with {@code zipcache bench}'s prompt, then decode steps taken in turn (cache order reversed every
 * other step), so that a busy neighbour or a frequency change on a shared machine slows every cache alike. On this
 * project's VMs single {@code bench} runs at 32k tokens move by ±25–50% between processes; the per-step medians of
 * an alternating run agree to a few percent. Each step is a forward pass and a greedy pick, as in {@code bench}; the
 * steps that take over three times the median (the first step's compilation, {@code zipcache}'s re-compression every
 * 100 tokens) are reported apart, since the median leaves them out.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp
 * benchmarks/target/benchmarks.jar dev.zipcache.benchmarks.AlternatingDecode MODEL PROMPT_TOKENS STEPS
 * fp16,zipcache [THREADS]}
 */
public final class AlternatingDecode {

    /** A step slower than this many medians is an outlier: compilation, or a cache's re-compression. */
    private static final int OUTLIER_MEDIANS = 3;

    /** One cache's decode steps, in nanoseconds, and the greedy tokens they produced. */
    public record Steps(String cache, long[] nanos, int[] tokens) {

        /** The middle step time, in milliseconds. */
        public double medianMillis() {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            return sorted[sorted.length / 2] / 1e6;
        }

        /** The mean step time, outliers included, in milliseconds. */
        public double meanMillis() {
            return Arrays.stream(nanos).average().orElse(0) / 1e6;
        }

        /** Indexes of the steps that took more than {@link #OUTLIER_MEDIANS} medians. */
        public List<Integer> outliers() {
            double limit = OUTLIER_MEDIANS * medianMillis() * 1e6;
            List<Integer> slow = new ArrayList<>();
            for (int step = 0; step < nanos.length; step++) {
                if (nanos[step] > limit) {
                    slow.add(step);
                }
            }
            return slow;
        }
    }

    private AlternatingDecode() {
    }

    /**
     * Prefills one session per cache with the same {@code promptTokens}-token prompt, then runs {@code steps} decode
     * steps per session, in turn.
     */
    public static List<Steps> run(Model model, int promptTokens, int steps, List<String> caches, int threads) {
        if (promptTokens < 1 || steps < 1 || caches.isEmpty() || threads < 1) {
            throw new IllegalArgumentException("need at least one prompt token, step, cache and thread; got "
                    + promptTokens + ", " + steps + ", " + caches.size() + ", " + threads);
        }
        int[] prompt = BenchmarkRunner.promptTokens(model, promptTokens);
        int vocabulary = model.config().vocabularySize();
        List<Session> sessions = new ArrayList<>();
        try {
            int[] next = new int[caches.size()];
            for (int c = 0; c < caches.size(); c++) {
                Session session = Session.open(model,
                        SessionOptions.defaults().withThreads(threads).withKvCache(caches.get(c)));
                sessions.add(session);
                next[c] = Sampler.argMax(session.prefill(prompt), vocabulary);
            }
            long[][] nanos = new long[caches.size()][steps];
            int[][] tokens = new int[caches.size()][steps];
            for (int step = 0; step < steps; step++) {
                for (int k = 0; k < caches.size(); k++) {
                    int c = step % 2 == 0 ? k : caches.size() - 1 - k;
                    tokens[c][step] = next[c];
                    long start = System.nanoTime();
                    next[c] = Sampler.argMax(sessions.get(c).decode(next[c]), vocabulary);
                    nanos[c][step] = System.nanoTime() - start;
                }
            }
            List<Steps> results = new ArrayList<>();
            for (int c = 0; c < caches.size(); c++) {
                results.add(new Steps(caches.get(c), nanos[c], tokens[c]));
            }
            return results;
        } finally {
            sessions.forEach(Session::close);
        }
    }

    public static void main(String[] args) {
        if (args.length < 4 || args.length > 5) {
            System.err.println("usage: AlternatingDecode MODEL PROMPT_TOKENS STEPS CACHE,CACHE[,...] [THREADS]");
            System.exit(2);
        }
        try {
            report(Path.of(args[0]), Integer.parseInt(args[1]), Integer.parseInt(args[2]), List.of(args[3].split(",")),
                    args.length == 5 ? Integer.parseInt(args[4]) : Runtime.getRuntime().availableProcessors());
        } catch (RuntimeException failure) {
            // A bad number, a model that does not load, a prompt that does not fit: one line, as the CLI says it.
            System.err.println("AlternatingDecode: " + failure.getMessage());
            System.exit(1);
        }
    }

    private static void report(Path file, int promptTokens, int steps, List<String> caches, int threads) {
        try (Model model = Model.load(file)) {
            List<Steps> results = run(model, promptTokens, steps, caches, threads);
            double reference = results.getFirst().medianMillis();
            for (Steps result : results) {
                System.out.printf(Locale.ROOT, "%-24s median %7.2f ms/step (%6.1f tok/s, %.2fx %s)  mean %7.2f ms"
                                + "  %s%n", result.cache(), result.medianMillis(), 1e3 / result.medianMillis(),
                        reference / result.medianMillis(), results.getFirst().cache(), result.meanMillis(),
                        describe(result));
            }
        }
    }

    /** "N steps over 3x the median: [step (ms), ...]". */
    static String describe(Steps steps) {
        List<String> slow = steps.outliers().stream()
                .map(step -> String.format(Locale.ROOT, "%d (%.0f ms)", step, steps.nanos()[step] / 1e6))
                .toList();
        return slow.size() + " steps over " + OUTLIER_MEDIANS + "x the median: " + slow;
    }
}
