package dev.zipcache.quantize;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Dequantization stays within half a step of the input, plus what storing the parameters in fp16 adds.
 *
 * <p>Bound (ZIPCACHE.md §2 with fp16 parameters). Let {@code m, s} be the exact group minimum and step and
 * {@code m', s'} their fp16 roundings, so {@code |m − m'| ≤ 2^-11·|m'|} and {@code |s − s'| ≤ 2^-11·s'} (half an
 * fp16 ulp, 11 significant bits; plus 2^-25 absolute in the subnormal range). With {@code t = (x − m')/s'}:
 * <ul>
 *   <li>unclamped codes give {@code |x − x̂| = s'·|t − rint(t)| ≤ s'/2};</li>
 *   <li>code 0 by clamping means {@code x < m'}, and {@code x ≥ m}, so {@code |x − x̂| ≤ |m − m'|};</li>
 *   <li>the top code by clamping means {@code x̂ = m' + M·s'} {@code (M = 2^b − 1)} while
 *       {@code x ≤ m + M·s}, so {@code |x − x̂| ≤ |m − m'| + M·|s − s'|}.</li>
 * </ul>
 * Hence {@code |x − x̂| ≤ s'/2 + 2^-11·(|m'| + M·s') + 2^-24}, plus a few float32 roundings of magnitude
 * {@code |m'| + M·s'}. With channel scales the bound holds for {@code x / c} and is multiplied by the stored scale
 * {@code c}.
 */
class RoundTripTest {

    private static final int[][] SHAPES = {{1, 1}, {1, 13}, {3, 7}, {13, 37}, {5, 130}, {40, 9}};

    static Iterable<QuantizerCase> cases() {
        return QuantizerCase.all();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void staysWithinHalfAStepPlusFp16Rounding(QuantizerCase scheme) {
        Random random = new Random(scheme.spec().hashCode());
        for (int bits : QuantizerCase.BITS) {
            for (int[] shape : SHAPES) {
                int rows = shape[0];
                int width = shape[1];
                float[] values = QuantizerCase.values(random, rows, width);
                MinMaxQuantizedBlock block = scheme.quantize(values, rows, width, bits);
                float[] row = new float[width];
                for (int r = 0; r < rows; r++) {
                    block.dequantize(r, 0, row, 0, width);
                    for (int c = 0; c < width; c++) {
                        float x = values[r * width + c];
                        assertThat(Math.abs(x - row[c]))
                                .as("%s %d-bit %d×%d at [%d, %d]: x = %s", scheme, bits, rows, width, r, c, x)
                                .isLessThanOrEqualTo(bound(block, r, c, x));
                    }
                }
            }
        }
    }

    private static float bound(MinMaxQuantizedBlock block, int row, int column, float x) {
        GroupParameters parameters = block.parameters(row, column);
        float minimum = Math.abs(parameters.minimum());
        float span = MinMaxQuantization.maxCode(block.bits()) * parameters.step();
        float magnitude = minimum + span;
        float normalized = parameters.step() / 2 + 0x1p-11f * magnitude + 0x1p-24f + 0x1p-21f * magnitude;
        return normalized * block.channelScale(column) + 0x1p-22f * Math.abs(x);
    }
}
