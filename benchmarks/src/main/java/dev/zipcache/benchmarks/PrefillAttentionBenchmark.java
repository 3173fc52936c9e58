package dev.zipcache.benchmarks;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Prefill attention of one batch of 64 prompt rows at the end of a long prompt, one layer of the attn-heavy preset
 * (2 KV heads of 128, 8 query heads): the O(L) per row that makes a 32k prompt O(L²). The rows go through the tiled
 * (flash-style) kernel; {@code scalar} runs its scalar twin for comparison. Single threaded. The score divided into
 * {@code 64 · 8 · tokens · 128 · 2} gives multiply-adds per µs.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar PrefillAttention}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class PrefillAttentionBenchmark {

    private static final int ROWS = 64;
    private static final KvCacheGeometry ONE_LAYER = new KvCacheGeometry(1, 2, 8, 128, 32_800);

    @Param({"fp16", "zipcache"})
    public String cache;

    @Param({"4096", "16384"})
    public int tokens;

    private KvCache kvCache;
    private float[] queries;
    private float[] output;

    @Setup(Level.Trial)
    public void fill() {
        kvCache = Providers.createCache(cache, ONE_LAYER);
        Random random = new Random(5);
        int chunk = 512;
        float[] keys = new float[chunk * ONE_LAYER.kvWidth()];
        float[] values = new float[keys.length];
        for (int done = 0; done < tokens; done += chunk) {
            fillGaussian(random, keys);
            fillGaussian(random, values);
            kvCache.append(0, keys, 0, values, 0, chunk);
            kvCache.commit(chunk, KvCache.AttentionKind.PREFILL);
        }
        // No endPrefill: the prompt stays in full precision, as while it is being prefilled.
        queries = new float[ROWS * ONE_LAYER.queryWidth()];
        fillGaussian(random, queries);
        output = new float[queries.length];
    }

    private static void fillGaussian(Random random, float[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
    }

    /** The last 64 prompt rows attend over their prefixes, every KV head. */
    @Benchmark
    public float[] prefillAttention() {
        for (int head = 0; head < ONE_LAYER.kvHeads(); head++) {
            kvCache.attend(0, head, KvCache.AttentionKind.PREFILL, queries, 0, ROWS, tokens - ROWS, output, 0);
        }
        return output;
    }

    @TearDown(Level.Trial)
    public void close() {
        kvCache.close();
    }
}
