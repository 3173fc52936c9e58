package dev.zipcache.benchmarks;

import dev.zipcache.quantize.HalfVectors;
import dev.zipcache.quantize.MinMaxQuantizedBlock;
import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;
import dev.zipcache.spi.SpecOptions;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The two kernels of decode attention over ZipCache codes, per stored token and KV head: the scores of a GQA group of
 * four query heads against a quantized block's rows ({@code dotRowsGroup}) and the probability-weighted sum of its
 * rows ({@code addWeightedRowsGroup}), on a block of {@code attn-heavy}'s shape (2 KV heads of 128 channels) that
 * stays in cache, so that the figure is the kernels' arithmetic, not the memory's. Keys use the default
 * {@code channelwise} parameters, values {@code cst}; 2 bits is ZipCache's regular group, 4 bits its salient one.
 * The {@code fp16} pair is the same work over fp16 tokens (one KV head's contiguous slab, as the fp16 cache keeps it),
 * for comparison.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar GroupKernels}
 * (nanoseconds per row and KV head; one row of one KV head is 512 multiply-adds in each kernel).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 4, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class GroupKernelsBenchmark {

    private static final int ROWS = 4096;
    private static final int HEAD_DIMENSION = 128;
    private static final int KV_HEADS = 2;
    private static final int WIDTH = KV_HEADS * HEAD_DIMENSION;
    private static final int QUERY_HEADS = MinMaxQuantizedBlock.GROUP_HEADS;

    @Param({"2", "4"})
    public int bits;

    private MinMaxQuantizedBlock keys;
    private MinMaxQuantizedBlock values;
    private float[] queries;
    private float[] scores;
    private float[] weights;
    private float[] output;
    private short[] halves;

    @Setup
    public void quantize() {
        Random random = new Random(11);
        float[] matrix = new float[ROWS * WIDTH];
        for (int i = 0; i < matrix.length; i++) {
            matrix[i] = (float) random.nextGaussian();
        }
        Providers<KvQuantizer> quantizers = Providers.quantizers();
        keys = quantize(quantizers, "channelwise", matrix, null);
        SpecOptions cst = quantizers.resolve(Spec.parse("cst"));
        float[] scales = quantizers.find("cst").channelScales(matrix, 0, ROWS, WIDTH, cst);
        values = quantize(quantizers, "cst", matrix, scales);
        queries = new float[QUERY_HEADS * HEAD_DIMENSION];
        for (int i = 0; i < queries.length; i++) {
            queries[i] = (float) random.nextGaussian();
        }
        scores = new float[QUERY_HEADS * ROWS];
        weights = new float[QUERY_HEADS * ROWS];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = random.nextFloat() / ROWS;
        }
        output = new float[QUERY_HEADS * HEAD_DIMENSION];
        halves = new short[ROWS * HEAD_DIMENSION];
        for (int i = 0; i < halves.length; i++) {
            halves[i] = Float.floatToFloat16(matrix[i]);
        }
    }

    private MinMaxQuantizedBlock quantize(Providers<KvQuantizer> quantizers, String scheme, float[] matrix,
                                          float[] scales) {
        SpecOptions options = quantizers.resolve(Spec.parse(scheme));
        // Laid out per KV head, as the caches quantize their blocks.
        return (MinMaxQuantizedBlock) quantizers.find(scheme).quantize(matrix, 0, ROWS, WIDTH, bits, scales, options,
                HEAD_DIMENSION);
    }

    /** Scores of four query heads against every row, for each KV head's slice. */
    @Benchmark
    @OperationsPerInvocation(ROWS * KV_HEADS)
    public float[] keyScores() {
        for (int head = 0; head < KV_HEADS; head++) {
            keys.dotRowsGroup(0, ROWS, head * HEAD_DIMENSION, queries, 0, HEAD_DIMENSION, QUERY_HEADS,
                    HEAD_DIMENSION, scores, 0, ROWS);
        }
        return scores;
    }

    /** The weighted sum of every row for four query heads, for each KV head's slice. */
    @Benchmark
    @OperationsPerInvocation(ROWS * KV_HEADS)
    public float[] valueSums() {
        for (int head = 0; head < KV_HEADS; head++) {
            values.addWeightedRowsGroup(0, ROWS, head * HEAD_DIMENSION, weights, 0, ROWS, QUERY_HEADS, output, 0,
                    HEAD_DIMENSION, HEAD_DIMENSION);
        }
        return output;
    }

    /** {@link #keyScores} over fp16 tokens. */
    @Benchmark
    @OperationsPerInvocation(ROWS * KV_HEADS)
    public float[] fp16KeyScores() {
        for (int head = 0; head < KV_HEADS; head++) {
            HalfVectors.dots4(queries, 0, halves, 0, ROWS, HEAD_DIMENSION, scores, 0, ROWS);
        }
        return scores;
    }

    /** {@link #valueSums} over fp16 tokens. */
    @Benchmark
    @OperationsPerInvocation(ROWS * KV_HEADS)
    public float[] fp16ValueSums() {
        for (int head = 0; head < KV_HEADS; head++) {
            HalfVectors.addScaled4(weights, 0, ROWS, halves, 0, ROWS, HEAD_DIMENSION, output, 0);
        }
        return output;
    }
}
