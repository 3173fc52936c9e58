package dev.zipcache.quantize;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fused kernels allocate nothing per call once compiled (vectors that C2 fails to keep in registers are boxed on
 * the heap, which is the failure this catches), measured with {@link AllocationMeter}.
 *
 * <p>The build runs this class twice: as every test, and with {@code -XX:-UseTypeProfile} (zipcache-impl's pom), the
 * state C2 compiles a kernel in when its profiling tier was skipped, as on a loaded machine; then a vector operation
 * whose receiver is a loop-carried accumulator is a virtual call that boxes. See {@link QuantizedVectors}.
 */
class FusedKernelAllocationTest {

    private static final int WIDTH = 128;
    private static final int CALLS = 10_000;
    /** Shorter than one load of codes: such a call skips the kernels' vector loops. */
    private static final int SHORT_RUN = 5;

    @ParameterizedTest
    @ValueSource(strings = {"tokenwise", "channelwise", "cst", "groupwise"})
    void fusedDotAndAddWeightedDoNotAllocateForOneRowOf128(String scheme) {
        Fixture fixture = new Fixture(scheme);
        assertThat(fixture.bytesAllocatedOnceCompiled())
                .as("bytes allocated by %d fused calls once compiled", 2 * CALLS).isLessThanOrEqualTo(0);
    }

    /**
     * Compiled first from a profile in which the vector loops ran in one call of 300: C2 then declines to inline small
     * methods called there ("low call site frequency"), which boxed vectors passed to the old helpers.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tokenwise", "channelwise", "cst", "groupwise"})
    void noAllocationWhenFirstCompiledWhileTheVectorLoopsWereRare(String scheme) {
        Fixture fixture = new Fixture(scheme);
        for (int call = 0; call < 200_000; call++) {
            fixture.call(call % 300 == 0 ? WIDTH : SHORT_RUN);
        }
        assertThat(fixture.bytesAllocatedOnceCompiled())
                .as("bytes allocated by %d fused calls once compiled", 2 * CALLS).isLessThanOrEqualTo(0);
    }

    private final class Fixture {
        private final MinMaxQuantizedBlock block;
        private final float[] query;
        private final float[] out = new float[WIDTH];
        private float sink;

        Fixture(String scheme) {
            QuantizerCase quantizer = QuantizerCase.all().stream().filter(c -> c.spec().equals(scheme)).findFirst()
                    .orElseThrow();
            Random random = new Random(5);
            block = quantizer.quantize(QuantizerCase.values(random, 1, WIDTH), 1, WIDTH, 4);
            query = QuantizerCase.values(random, 1, WIDTH);
        }

        void call(int length) {
            sink += block.dot(0, 0, query, 0, length);
            block.addWeighted(0, 0, 1e-6f, out, 0, length);
        }

        /** A compiled round of {@link #CALLS} full-width calls must allocate nothing. */
        long bytesAllocatedOnceCompiled() {
            long allocated = AllocationMeter.bytesOnceCompiled(() -> {
                for (int call = 0; call < CALLS; call++) {
                    call(WIDTH);
                }
            });
            assertThat(sink).isFinite();
            return allocated;
        }
    }
}
