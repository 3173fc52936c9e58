package dev.zipcache.benchmarks;

import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.QuantizedBlock;
import dev.zipcache.spi.Spec;
import dev.zipcache.spi.SpecOptions;
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
import org.openjdk.jmh.annotations.Warmup;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * What compressing costs: quantizing {@code tokens} tokens of one Llama-3-like layer's keys (8 KV heads × 128
 * channels), as ZipCache does for a prompt and again at every streaming re-compression, per scheme and bit width, and
 * dequantizing them again row by row, as a re-compression does first. 8,192 tokens × 1,024 channels is as many values
 * as one layer of {@code attn-heavy} at 32k tokens (2 KV heads × 128 channels).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar Quantize}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class QuantizeBenchmark {

    private static final int HEAD_DIMENSION = 128;
    private static final int WIDTH = 8 * HEAD_DIMENSION;

    @Param({"1024", "8192"})
    public int tokens;

    @Param({"channelwise", "cst", "tokenwise", "groupwise"})
    public String scheme;

    @Param({"2", "4"})
    public int bits;

    private KvQuantizer quantizer;
    private SpecOptions options;
    private float[] values;
    private QuantizedBlock block;
    private float[] row;

    @Setup(Level.Trial)
    public void prepare() {
        Providers<KvQuantizer> quantizers = Providers.quantizers();
        quantizer = quantizers.find(scheme);
        options = quantizers.resolve(Spec.parse(scheme));
        Random random = new Random(3);
        values = new float[tokens * WIDTH];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        block = quantize();
        row = new float[WIDTH];
    }

    @Benchmark
    public QuantizedBlock quantize() {
        // Laid out per KV head, as the caches quantize their blocks.
        return quantizer.quantize(values, 0, tokens, WIDTH, bits, null, options, HEAD_DIMENSION);
    }

    @Benchmark
    public float[] dequantize() {
        for (int token = 0; token < tokens; token++) {
            block.dequantize(token, 0, row, 0, WIDTH);
        }
        return row;
    }
}
