package dev.zipcache.benchmarks;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;

import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

/**
 * What a cache's periodic re-compression costs: {@code zipcache} quantizes its whole sequence again every 100 decode
 * steps (ZIPCACHE.md §7), a pause of tens of milliseconds at long contexts that {@code bench}'s decode figure includes
 * and {@link AlternatingDecode}'s medians leave out. The cache is filled as {@link AttentionCpuTime} fills it
 * (Gaussian keys and values, appends and commits, then {@code endPrefill}), then takes decode commits; each round's slowest commit is
 * its re-compression. Wall time, since a re-compression runs the layers in parallel. {@code attn-heavy}'s shape by
 * default (4 layers, 2 KV heads of 128).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.zipcache.benchmarks.Recompression zipcache 32768 [ROUNDS] [--layers 4 --kv-heads 2]}
 */
public final class Recompression {

    private Recompression() {
    }

    /** Milliseconds of each round's slowest decode commit, after filling {@code tokens} tokens. */
    public static double[] run(String spec, KvCacheGeometry geometry, int tokens, int rounds, int interval) {
        if (tokens < 1 || rounds < 1 || tokens + rounds * interval > geometry.maxTokens()) {
            throw new IllegalArgumentException("need at least one token and one round, within the cache's "
                    + geometry.maxTokens() + " tokens; got " + tokens + " tokens and " + rounds + " rounds of "
                    + interval);
        }
        Random random = new Random(7);
        double[] slowest = new double[rounds];
        try (KvCache cache = Providers.createCache(spec, geometry)) {
            AttentionCpuTime.fill(cache, geometry, tokens, true);
            for (int round = 0; round < rounds; round++) {
                long slow = 0;
                for (int step = 0; step < interval; step++) {
                    append(cache, geometry, random, 1);
                    long start = System.nanoTime();
                    cache.commit(1, KvCache.AttentionKind.DECODE);
                    slow = Math.max(slow, System.nanoTime() - start);
                }
                slowest[round] = slow / 1e6;
            }
        }
        return slowest;
    }

    private static void append(KvCache cache, KvCacheGeometry geometry, Random random, int rows) {
        float[] keys = AttentionCpuTime.gaussian(random, rows * geometry.kvWidth());
        float[] values = AttentionCpuTime.gaussian(random, rows * geometry.kvWidth());
        for (int layer = 0; layer < geometry.layers(); layer++) {
            cache.append(layer, keys, 0, values, 0, rows);
        }
    }

    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: Recompression SPEC TOKENS [ROUNDS] [--layers N --kv-heads N]");
            System.exit(2);
        }
        int layers = 4;
        int kvHeads = 2;
        int rounds = 8;
        int tokens;
        try {
            tokens = Integer.parseInt(args[1]);
            for (int i = 2; i < args.length; i++) {
                switch (args[i]) {
                    case "--layers" -> layers = Integer.parseInt(args[++i]);
                    case "--kv-heads" -> kvHeads = Integer.parseInt(args[++i]);
                    default -> rounds = Integer.parseInt(args[i]);
                }
            }
        } catch (NumberFormatException | ArrayIndexOutOfBoundsException bad) {
            System.err.println("error: bad number or missing value in " + String.join(" ", args));
            System.exit(2);
            return;
        }
        int interval = 100;
        KvCacheGeometry geometry = new KvCacheGeometry(layers, kvHeads, 4 * kvHeads, 128,
                tokens + (rounds + 1) * interval);
        try {
            double[] slowest = run(args[0], geometry, tokens, rounds, interval);
            double[] sorted = slowest.clone();
            Arrays.sort(sorted);
            System.out.printf(Locale.ROOT, "%s, %d tokens, %d layers × %d KV heads: slowest commit per %d steps, ms: %s"
                            + "; median %.1f, min %.1f%n", args[0], tokens, layers, kvHeads, interval,
                    Arrays.toString(Arrays.stream(slowest).map(ms -> Math.round(ms * 10) / 10.0).toArray()),
                    sorted[sorted.length / 2], sorted[0]);
        } catch (IllegalArgumentException bad) {
            System.err.println("error: " + bad.getMessage());
            System.exit(1);
        }
    }
}
