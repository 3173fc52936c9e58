package dev.zipcache.quantize;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.management.ManagementFactory;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fused kernels allocate nothing per call once compiled (vectors that C2 fails to keep in registers are boxed on
 * the heap, which is the failure this catches). Measured with the thread's allocation counter, no timing.
 */
class FusedKernelAllocationTest {

    private static final int WIDTH = 128;
    private static final int CALLS = 10_000;
    private static final int MAX_ROUNDS = 60;

    private final com.sun.management.ThreadMXBean threads =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    @ParameterizedTest
    @ValueSource(strings = {"tokenwise", "channelwise", "cst", "groupwise"})
    void fusedDotAndAddWeightedDoNotAllocateForOneRowOf128(String scheme) {
        QuantizerCase quantizer = QuantizerCase.all().stream().filter(c -> c.spec().equals(scheme)).findFirst()
                .orElseThrow();
        Random random = new Random(5);
        MinMaxQuantizedBlock block = quantizer.quantize(QuantizerCase.values(random, 1, WIDTH), 1, WIDTH, 4);
        float[] query = QuantizerCase.values(random, 1, WIDTH);
        float[] out = new float[WIDTH];

        // The first rounds run interpreted or in C1, which box vectors; a compiled round must reach zero.
        long allocated = Long.MAX_VALUE;
        float sink = 0f;
        for (int round = 0; round < MAX_ROUNDS && allocated > 0; round++) {
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int call = 0; call < CALLS; call++) {
                sink += block.dot(0, 0, query, 0, WIDTH);
                block.addWeighted(0, 0, 1e-6f, out, 0, WIDTH);
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before - counterOverhead();
        }
        assertThat(sink).isFinite();
        assertThat(allocated).as("bytes allocated by %d fused calls once compiled", 2 * CALLS).isLessThanOrEqualTo(0);
    }

    /** What reading the counter itself allocates. */
    private long counterOverhead() {
        long first = threads.getCurrentThreadAllocatedBytes();
        return threads.getCurrentThreadAllocatedBytes() - first;
    }
}
