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
 * What compressing costs: quantizing 1,024 tokens of one Llama-3-like layer's keys (8 KV heads × 128 channels),
 * as ZipCache does for a prompt and again at every streaming re-compression, per scheme and bit width.
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

    private static final int TOKENS = 1024;
    private static final int WIDTH = 8 * 128;

    @Param({"channelwise", "cst", "tokenwise", "groupwise"})
    public String scheme;

    @Param({"2", "4"})
    public int bits;

    private KvQuantizer quantizer;
    private SpecOptions options;
    private float[] values;

    @Setup(Level.Trial)
    public void prepare() {
        Providers<KvQuantizer> quantizers = Providers.quantizers();
        quantizer = quantizers.find(scheme);
        options = quantizers.resolve(Spec.parse(scheme));
        Random random = new Random(3);
        values = new float[TOKENS * WIDTH];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
    }

    @Benchmark
    public QuantizedBlock quantize() {
        return quantizer.quantize(values, 0, TOKENS, WIDTH, bits, null, options);
    }
}
