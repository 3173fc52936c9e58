package dev.zipcache.benchmarks;

import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.tensor.WeightMatrix;
import dev.zipcache.engine.tensor.WeightQuantizer;
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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * A decode-sized matrix-vector product (2048 × 2048, a ~1B model's attention projection) per weight type: the Vector
 * API kernel row by row ({@code vector}), the batched row kernel over all rows ({@code rows}) and the scalar twin,
 * single threaded. Weights live off-heap like a mapped model file.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar Matmul}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class MatmulBenchmark {

    private static final int ROWS = 2048;
    private static final int COLUMNS = 2048;

    @Param({"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    public String type;

    private Arena arena;
    private WeightMatrix matrix;
    private float[] input;
    private float[] output;

    @Setup(Level.Trial)
    public void prepare() {
        SplittableRandom random = new SplittableRandom(1);
        float[] weights = new float[ROWS * COLUMNS];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) (random.nextDouble() * 2 - 1);
        }
        GgmlType ggmlType = GgmlType.valueOf(type);
        byte[] bytes = WeightQuantizer.quantize(ggmlType, weights);
        arena = Arena.ofShared();
        MemorySegment segment = arena.allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, segment, 0, bytes.length);
        matrix = WeightMatrix.of("bench", ggmlType, segment, ROWS, COLUMNS);
        input = new float[COLUMNS];
        for (int i = 0; i < COLUMNS; i++) {
            input[i] = (float) random.nextGaussian();
        }
        output = new float[ROWS];
    }

    @Benchmark
    public float[] vector() {
        for (int row = 0; row < ROWS; row++) {
            output[row] = matrix.dot(row, input, 0);
        }
        return output;
    }

    @Benchmark
    public float[] rows() {
        matrix.dotRows(0, ROWS, input, 0, output, 0);
        return output;
    }

    @Benchmark
    public float[] scalar() {
        for (int row = 0; row < ROWS; row++) {
            output[row] = matrix.dotScalar(row, input, 0);
        }
        return output;
    }

    @TearDown(Level.Trial)
    public void close() {
        arena.close();
    }
}
