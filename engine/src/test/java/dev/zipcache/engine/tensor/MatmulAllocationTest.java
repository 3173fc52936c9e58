package dev.zipcache.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every weight type's kernels ({@link WeightMatrix#dot}, {@link WeightMatrix#dotRows},
 * {@link WeightMatrix#dequantizeRow}) allocate nothing per call once compiled: a vector that C2 fails to keep in
 * registers is boxed on the heap, which in a decode step's matrix-vector products would cost more than the arithmetic.
 * Measured with the thread's allocation counter, no timing.
 *
 * <p>The build runs this class twice: as every test, and with {@code -XX:-UseTypeProfile} (the engine's pom), the
 * state C2 compiles a kernel in when its profiling tier was skipped, as on a loaded machine: a vector operation whose
 * receiver is a loop-carried accumulator is then a virtual call that boxes.
 */
class MatmulAllocationTest {

    private static final int ROWS = 8;
    /** Two K-quant super-blocks, a whole number of every type's blocks and of every vector width. */
    private static final int COLUMNS = 512;
    private static final int CALLS = 2_000;
    private static final int MAX_ROUNDS = 60;

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void kernelsDoNotAllocateOnceCompiled(GgmlType type) {
        Random random = new Random(11L + type.ordinal());
        byte[] bytes = RandomWeights.matrixBytes(random, type, ROWS, COLUMNS);
        float[] x = RandomWeights.gaussian(random, COLUMNS, 1.0);
        float[] out = new float[ROWS];
        float[] row = new float[COLUMNS];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment storage = arena.allocate(bytes.length, 64);
            storage.copyFrom(MemorySegment.ofArray(bytes));
            WeightMatrix matrix = WeightMatrix.of("test." + type, type, storage, ROWS, COLUMNS);

            // The first rounds run interpreted or in C1, which box vectors; a compiled round must reach zero.
            long allocated = Long.MAX_VALUE;
            float sink = 0f;
            for (int round = 0; round < MAX_ROUNDS && allocated > 0; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int call = 0; call < CALLS; call++) {
                    matrix.dotRows(0, ROWS, x, 0, out, 0);
                    sink += out[call % ROWS] + matrix.dot(call % ROWS, x, 0);
                    matrix.dequantizeRow(call % ROWS, row, 0);
                    sink += row[call % COLUMNS];
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before - counterOverhead();
            }
            assertThat(sink).isFinite();
            assertThat(allocated).as("bytes allocated by %d rounds of %s kernels once compiled", CALLS, type)
                    .isLessThanOrEqualTo(0);
        }
    }

    /** What reading the counter itself allocates. */
    private long counterOverhead() {
        long first = threads.getCurrentThreadAllocatedBytes();
        return threads.getCurrentThreadAllocatedBytes() - first;
    }
}
