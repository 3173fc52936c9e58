package dev.zipcache.benchmarks;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Memory bandwidth, the floor against which decode speed is judged (decode reads every weight byte and every KV byte
 * once per token), two ways, each over 256 MiB per operation, far beyond any cache; one thread per JMH thread:
 *
 * <ul>
 *   <li>{@code copy}: {@link System#arraycopy}, STREAM's convention. Bytes moved per operation = 2 × 256 MiB (read +
 *   write); GB/s = 0.537 / (seconds per op).</li>
 *   <li>{@code read}: what decode does, reads only: four quarters of the array streamed side by side with vector
 *   loads (several streams keep more misses in flight than one). GB/s = 0.268 / (seconds per op).</li>
 * </ul>
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar CopyBandwidth -t 2}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx3g", "--add-modules", "jdk.incubator.vector"})
@Threads(1)
public class CopyBandwidthBenchmark {

    private static final int BYTES = 256 << 20;

    private static final VectorSpecies<Integer> INTS = IntVector.SPECIES_PREFERRED;

    private byte[] source;
    private byte[] target;
    private int[] words;

    @Setup(Level.Trial)
    public void prepare() {
        source = new byte[BYTES];
        target = new byte[BYTES];
        for (int i = 0; i < BYTES; i += 4096) {
            source[i] = (byte) i;
        }
        words = new int[BYTES / Integer.BYTES];
        for (int i = 0; i < words.length; i += 1024) {
            words[i] = i;
        }
    }

    @Benchmark
    public byte[] copy() {
        System.arraycopy(source, 0, target, 0, BYTES);
        return target;
    }

    @Benchmark
    public int read() {
        int quarter = words.length / 4;
        IntVector sum0 = IntVector.zero(INTS);
        IntVector sum1 = sum0;
        IntVector sum2 = sum0;
        IntVector sum3 = sum0;
        for (int i = 0; i < quarter; i += INTS.length()) {
            sum0 = IntVector.fromArray(INTS, words, i).add(sum0);
            sum1 = IntVector.fromArray(INTS, words, quarter + i).add(sum1);
            sum2 = IntVector.fromArray(INTS, words, 2 * quarter + i).add(sum2);
            sum3 = IntVector.fromArray(INTS, words, 3 * quarter + i).add(sum3);
        }
        return sum0.add(sum1).add(sum2.add(sum3)).reduceLanes(VectorOperators.ADD);
    }
}
