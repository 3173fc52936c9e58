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
 * Decode attention of one new token over a filled cache, one layer of a Llama-3-8B-like model (8 KV heads of 128,
 * 32 query heads): what each generated token costs per layer in the attention read. The cache is filled with random
 * keys and values the way the engine fills it (append, commit, endPrefill) but without the prompt's own O(L²)
 * attention, which would take minutes at 16k tokens; ZipCache then scores saliency from zero queries, which changes
 * which tokens get 4 bits but not what a decode step reads. Each invocation attends one query row over every stored
 * token, single threaded.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar DecodeAttention}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class DecodeAttentionBenchmark {

    private static final KvCacheGeometry ONE_LAYER = new KvCacheGeometry(1, 8, 32, 128, 32_800);

    @Param({"fp16", "kivi:bits=2", "zipcache"})
    public String cache;

    @Param({"1024", "4096", "16384", "32768"})
    public int tokens;

    private KvCache kvCache;
    private float[] query;
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
        kvCache.endPrefill();
        query = new float[ONE_LAYER.queryWidth()];
        fillGaussian(random, query);
        output = new float[ONE_LAYER.queryWidth()];
    }

    private static void fillGaussian(Random random, float[] values) {
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
    }

    /** Attention of one query row over every stored token (no append, so the cache stays the same size). */
    @Benchmark
    public float[] decodeAttention() {
        for (int head = 0; head < ONE_LAYER.kvHeads(); head++) {
            kvCache.attend(0, head, KvCache.AttentionKind.DECODE, query, 0, 1, tokens - 1, output, 0);
        }
        return output;
    }

    @TearDown(Level.Trial)
    public void close() {
        kvCache.close();
    }
}
