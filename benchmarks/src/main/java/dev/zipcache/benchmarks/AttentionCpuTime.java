package dev.zipcache.benchmarks;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Random;

/**
 * Attention cost in thread CPU time rather than wall time, for a shared machine where other jobs take the cores:
 * the minimum over batches of CPU time per call is close to what an idle machine measures, while wall-clock JMH
 * scores swing by ±100% under load. One layer of the {@code attn-heavy} preset by default (2 KV heads, 8 query heads
 * of 128), single threaded.
 *
 * <ul>
 *   <li>{@code decode}: one query row over every stored token, each KV head (as {@link DecodeAttentionBenchmark});</li>
 *   <li>{@code prefill}: the last 64 rows of a prompt over their prefixes (as {@link PrefillAttentionBenchmark}).</li>
 * </ul>
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp benchmarks/target/benchmarks.jar
 * dev.zipcache.benchmarks.AttentionCpuTime decode|prefill 'fp16;zipcache' 4096 16384 [--kv-heads 2 --heads 8
 * --layers 1]}; with {@code --layers 4} each call attends every layer, so the cache read per call is the whole
 * model's, as in a decode step, instead of one layer's that may stay in the last-level cache
 */
public final class AttentionCpuTime {

    private static final int PREFILL_ROWS = 64;

    private AttentionCpuTime() {
    }

    public static void main(String[] args) {
        if (args.length < 3) {
            System.err.println("usage: AttentionCpuTime decode|prefill 'SPEC[;SPEC...]' TOKENS... "
                    + "[--kv-heads N --heads N --layers N]");
            System.exit(2);
        }
        boolean prefill = args[0].equals("prefill");
        int kvHeads = 2;
        int heads = 8;
        int layers = 1;
        java.util.List<Integer> lengths = new java.util.ArrayList<>();
        for (int i = 2; i < args.length; i++) {
            switch (args[i]) {
                case "--kv-heads" -> kvHeads = Integer.parseInt(args[++i]);
                case "--heads" -> heads = Integer.parseInt(args[++i]);
                case "--layers" -> layers = Integer.parseInt(args[++i]);
                default -> lengths.add(Integer.parseInt(args[i]));
            }
        }
        KvCacheGeometry geometry = new KvCacheGeometry(layers, kvHeads, heads, 128, 32_800);
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (String spec : args[1].split(";")) {
            for (int tokens : lengths) {
                KvCache cache = Providers.createCache(spec, geometry);
                fill(cache, geometry, tokens, !prefill);
                int rows = prefill ? PREFILL_ROWS : 1;
                float[] queries = gaussian(new Random(7), rows * geometry.queryWidth());
                float[] output = new float[queries.length];
                KvCache.AttentionKind kind = prefill ? KvCache.AttentionKind.PREFILL : KvCache.AttentionKind.DECODE;
                double best = Double.MAX_VALUE;
                for (int batch = 0; batch < 12; batch++) {
                    long start = threads.getCurrentThreadCpuTime();
                    int calls = 0;
                    while (threads.getCurrentThreadCpuTime() - start < 300_000_000L) {
                        for (int layer = 0; layer < layers; layer++) {
                            for (int head = 0; head < kvHeads; head++) {
                                cache.attend(layer, head, kind, queries, 0, rows, tokens - rows, output, 0);
                            }
                        }
                        calls++;
                    }
                    best = Math.min(best, (threads.getCurrentThreadCpuTime() - start) / 1e3 / calls);
                }
                double multiplyAdds = 2.0 * layers * rows * heads * (prefill ? tokens - rows / 2.0 : tokens) * 128;
                System.out.printf("%s %-10s %6d tokens: %10.1f µs CPU per call, %6.1f G multiply-adds/s%n",
                        args[0], spec, tokens, best, multiplyAdds / best / 1e3);
                cache.close();
            }
        }
    }

    /** Random keys and values, appended as the engine does; compressed (endPrefill) only for decode. */
    static void fill(KvCache cache, KvCacheGeometry geometry, int tokens, boolean compress) {
        Random random = new Random(5);
        int chunk = 512;
        for (int done = 0; done < tokens; done += chunk) {
            int count = Math.min(chunk, tokens - done);
            float[] keys = gaussian(random, count * geometry.kvWidth());
            float[] values = gaussian(random, count * geometry.kvWidth());
            for (int layer = 0; layer < geometry.layers(); layer++) {
                cache.append(layer, keys, 0, values, 0, count);
            }
            cache.commit(count, KvCache.AttentionKind.PREFILL);
        }
        if (compress) {
            cache.endPrefill();
        }
    }

    static float[] gaussian(Random random, int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
