package dev.zipcache.quantize;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The hand-computed vectors of ZIPCACHE.md §13. The document's numbers are fp32 and printed to 4 decimals; this
 * implementation stores scales, minimums and steps in fp16 (relative error ≤ 2^-11 ≈ 4.9e-4 each), so dequantized
 * values carry up to three such errors on magnitudes ≤ 8: 3 · 4.9e-4 · 2.1 (scale) · 2 (|q·step + min|) ≈ 6e-3 at
 * worst, and the codes themselves must match exactly (none of them sits within fp16 noise of a rounding boundary).
 */
class ReferenceVectorsTest {

    /** §13 vector 1 and 2: one batch, C = 4, rows are tokens. */
    private static final float[] X = {
            0.5f, -8f, 1f, 0.25f,
            1.5f, 4f, -1f, 0.5f,
            -0.5f, 2f, 0f, -0.75f,
            1f, -6f, 2f, 0f};

    @Test
    void cstAtTwoBitsMatchesVectorOne() {
        ChannelSeparableTokenwiseQuantizer cst = new ChannelSeparableTokenwiseQuantizer();
        float[] scales = cst.channelScales(X, 0, 4, 4, null);
        assertThat(scales).containsExactly(new float[]{1.2247f, 2.8284f, 1.4142f, 0.8660f}, within(2e-3f));

        MinMaxQuantizedBlock block = cst.quantize(X, 0, 4, 4, 2, null, null);

        assertThat(codes(block)).isDeepEqualTo(new int[][]{{3, 0, 3, 3}, {3, 3, 0, 2}, {1, 3, 2, 0}, {2, 0, 3, 2}});
        assertThat(block.parameters(0, 0).minimum()).isCloseTo(-2.8284f, within(2e-3f));
        assertThat(block.parameters(0, 0).step()).isCloseTo(1.1785f, within(1e-3f));
        float[] row2 = new float[4];
        block.dequantize(2, 0, row2, 0, 4);
        assertThat(row2).containsExactly(new float[]{-0.4184f, 2.0f, 0.2584f, -0.75f}, within(6e-3f));
    }

    @Test
    void cstWithTheCallersScalesEqualsItsOwn() {
        ChannelSeparableTokenwiseQuantizer cst = new ChannelSeparableTokenwiseQuantizer();
        float[] scales = cst.channelScales(X, 0, 4, 4, null);
        assertThat(codes(cst.quantize(X, 0, 4, 4, 2, scales, null)))
                .isDeepEqualTo(codes(cst.quantize(X, 0, 4, 4, 2, null, null)));
    }

    @Test
    void channelwiseAtTwoBitsMatchesVectorTwoAndRoundsHalfToEven() {
        MinMaxQuantizedBlock block = new ChannelwiseQuantizer().quantize(X, 0, 4, 4, 2, null, null);

        assertThat(codes(block)).isDeepEqualTo(new int[][]{{2, 0, 2, 2}, {3, 3, 0, 3}, {0, 2, 1, 0}, {2, 0, 3, 2}});
        // Column 1: min −8 and step 4 are exact in fp16, so 2.0 maps to exactly 2.5, which half-even rounds to 2.
        assertThat(block.parameters(0, 1)).isEqualTo(GroupParameters.of(-8f, 4f));
        assertThat(block.code(2, 1)).isEqualTo(2);
        float[] value = new float[1];
        block.dequantize(2, 1, value, 0, 1);
        assertThat(value[0]).isEqualTo(0f);
    }

    @Test
    void planarPackingMatchesVectorFour() {
        assertThat(CodePacking.packPlanar(new int[]{1, 2, 3, 4, 5, 6, 7, 8}, 4))
                .containsExactly(81, 98, 115, (byte) 132);
        assertThat(CodePacking.packPlanar(new int[]{0, 1, 2, 3, 3, 2, 1, 0}, 2)).containsExactly(120, 45);
    }

    private static int[][] codes(MinMaxQuantizedBlock block) {
        int[][] codes = new int[block.rows()][block.width()];
        for (int row = 0; row < block.rows(); row++) {
            for (int column = 0; column < block.width(); column++) {
                codes[row][column] = block.code(row, column);
            }
        }
        return codes;
    }
}
