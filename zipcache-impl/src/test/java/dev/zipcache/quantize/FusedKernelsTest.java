package dev.zipcache.quantize;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The fused {@code dot} and {@code addWeighted}, which read the packed codes, agree with the same products over
 * {@code dequantize}'s output and with their scalar twins, on widths that are and are not multiples of any vector
 * length, on head-sized slices (8, 16: stories260K; 64, 128: real models) and on random slices that cross planes and
 * groups.
 */
class FusedKernelsTest {

    private static final int[][] SHAPES = {{1, 8}, {3, 16}, {2, 19}, {4, 64}, {2, 128}, {3, 2 * 64}, {2, 4 * 128},
            {3, 6 * 16}, {2, 200}};
    private static final int RANDOM_SLICES = 40;

    static Iterable<QuantizerCase> cases() {
        return QuantizerCase.all();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void dotAgreesWithDequantizedValuesAndScalarTwin(QuantizerCase scheme) {
        Random random = new Random(31 * scheme.spec().hashCode());
        for (int bits : QuantizerCase.BITS) {
            for (int[] shape : SHAPES) {
                MinMaxQuantizedBlock block = scheme.quantize(QuantizerCase.values(random, shape[0], shape[1]),
                        shape[0], shape[1], bits);
                for (int[] slice : slices(random, block)) {
                    int row = slice[0];
                    int column = slice[1];
                    int length = slice[2];
                    int queryOffset = random.nextInt(3);
                    float[] query = gaussian(random, queryOffset + length + random.nextInt(3));
                    float[] dequantized = new float[length];
                    block.dequantize(row, column, dequantized, 0, length);
                    double expected = 0;
                    double magnitude = 0;
                    for (int i = 0; i < length; i++) {
                        expected += (double) query[queryOffset + i] * dequantized[i];
                        magnitude += Math.abs(query[queryOffset + i]) * termMagnitude(block, row, column + i);
                    }
                    // float32 sums of ≤ 512 terms, regrouped by the algebra (step·Σ q·c + min·Σ c): a few ulps of
                    // the magnitude of q·step and min per term, which can cancel to a much smaller x̂.
                    double tolerance = 1e-5 * magnitude + 1e-5;
                    String what = scheme + " " + bits + "-bit " + shape[0] + "×" + shape[1] + " row " + row
                            + " columns " + column + "+" + length;
                    assertThat((double) block.dot(row, column, query, queryOffset, length)).as(what)
                            .isCloseTo(expected, within(tolerance));
                    assertThat((double) block.dotScalar(row, column, query, queryOffset, length)).as(what)
                            .isCloseTo(expected, within(tolerance));
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void addWeightedAgreesWithDequantizedValuesAndScalarTwin(QuantizerCase scheme) {
        Random random = new Random(37 * scheme.spec().hashCode());
        for (int bits : QuantizerCase.BITS) {
            for (int[] shape : SHAPES) {
                MinMaxQuantizedBlock block = scheme.quantize(QuantizerCase.values(random, shape[0], shape[1]),
                        shape[0], shape[1], bits);
                for (int[] slice : slices(random, block)) {
                    int row = slice[0];
                    int column = slice[1];
                    int length = slice[2];
                    int outOffset = random.nextInt(3);
                    float weight = (float) random.nextGaussian();
                    float[] start = gaussian(random, outOffset + length + random.nextInt(3));
                    float[] dequantized = new float[length];
                    block.dequantize(row, column, dequantized, 0, length);
                    float[] fused = start.clone();
                    float[] scalar = start.clone();
                    block.addWeighted(row, column, weight, fused, outOffset, length);
                    block.addWeightedScalar(row, column, weight, scalar, outOffset, length);
                    for (int i = 0; i < start.length; i++) {
                        int k = i - outOffset;
                        double expected = k >= 0 && k < length ? start[i] + (double) weight * dequantized[k] : start[i];
                        double tolerance = k >= 0 && k < length
                                ? 1e-5 * (Math.abs(start[i]) + Math.abs(weight) * termMagnitude(block, row, column + k))
                                + 1e-6 : 0;
                        String what = scheme + " " + bits + "-bit " + shape[0] + "×" + shape[1] + " row " + row
                                + " columns " + column + "+" + length + " out[" + i + "]";
                        assertThat((double) fused[i]).as(what)
                                .isCloseTo(expected, within(tolerance));
                        assertThat((double) scalar[i]).as(what)
                                .isCloseTo(expected, within(tolerance));
                    }
                }
            }
        }
    }

    /**
     * {@code (|q·step| + |min|)·s}: what {@code weight·step·q + weight·min} is rounded against before the two terms
     * cancel to {@code x̂}.
     */
    private static double termMagnitude(MinMaxQuantizedBlock block, int row, int column) {
        GroupParameters parameters = block.parameters(row, column);
        return (block.code(row, column) * (double) parameters.step() + Math.abs(parameters.minimum()))
                * block.channelScale(column);
    }

    /** Head slices for every head size that divides the width, the whole row, and random slices. */
    private static Iterable<int[]> slices(Random random, MinMaxQuantizedBlock block) {
        List<int[]> slices = new ArrayList<>();
        int width = block.width();
        for (int headDimension : new int[]{8, 16, 64, 128}) {
            if (width % headDimension == 0) {
                for (int head = 0; head < width / headDimension; head++) {
                    slices.add(new int[]{random.nextInt(block.rows()), head * headDimension, headDimension});
                }
            }
        }
        slices.add(new int[]{random.nextInt(block.rows()), 0, width});
        for (int i = 0; i < RANDOM_SLICES; i++) {
            int column = random.nextInt(width);
            slices.add(new int[]{random.nextInt(block.rows()), column, random.nextInt(width - column + 1)});
        }
        return slices;
    }

    private static float[] gaussian(Random random, int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
