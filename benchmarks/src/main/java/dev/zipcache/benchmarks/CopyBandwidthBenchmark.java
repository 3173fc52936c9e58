package dev.zipcache.benchmarks;

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
 * Memory copy bandwidth: the floor against which decode speed is judged (decode reads every weight byte and every KV
 * byte once per token). Copies a 256 MiB array per operation, far beyond any cache; one thread per JMH thread. Bytes
 * moved per operation = 2 × 256 MiB (read + write); GB/s = 0.537 / (seconds per op).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -jar benchmarks/target/benchmarks.jar CopyBandwidth -t 2}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g"})
@Threads(1)
public class CopyBandwidthBenchmark {

    private static final int BYTES = 256 << 20;

    private byte[] source;
    private byte[] target;

    @Setup(Level.Trial)
    public void prepare() {
        source = new byte[BYTES];
        target = new byte[BYTES];
        for (int i = 0; i < BYTES; i += 4096) {
            source[i] = (byte) i;
        }
    }

    @Benchmark
    public byte[] copy() {
        System.arraycopy(source, 0, target, 0, BYTES);
        return target;
    }
}
