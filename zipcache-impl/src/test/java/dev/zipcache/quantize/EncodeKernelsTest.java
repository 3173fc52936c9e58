package dev.zipcache.quantize;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The vectorized quantizer (row by row through {@link EncodeKernels}) and the vectorized {@code dequantize} give the
 * very bits of the scalar primitives: every code against {@link MinMaxQuantization#code} with the block's own fp16
 * parameters, every parameter against {@link MinMaxQuantization#fit} over the (scaled) group, every packed byte against
 * the planar layout written out by hand (the packer's vector part included), and every dequantized value against {@code dequantizeScalar}. The data holds
 * what lane kernels get wrong first: signed zeros, constant groups (step 0), values exactly half-way between two
 * codes, widths that leave vector tails and partly empty planes.
 */
class EncodeKernelsTest {

    private static final int[] WIDTHS = {1, 5, 16, 33, 128, 130, 256};
    private static final int[] ROWS = {1, 7, 40};

    static Iterable<QuantizerCase> cases() {
        return QuantizerCase.all();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void quantizeGivesTheScalarPrimitivesBits(QuantizerCase scheme) {
        Random random = new Random(scheme.spec().hashCode());
        for (int bits : QuantizerCase.BITS) {
            for (int width : WIDTHS) {
                for (int rows : ROWS) {
                    float[] values = awkwardValues(random, rows, width);
                    MinMaxQuantizedBlock block = scheme.quantize(values, rows, width, bits);
                    assertMatchesScalarPrimitives(scheme, scheme + " " + bits + " bits " + rows + "×" + width,
                            values, rows, width, bits, block);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("cases")
    void dequantizeGivesTheScalarTwinsBits(QuantizerCase scheme) {
        Random random = new Random(~scheme.spec().hashCode());
        for (int bits : QuantizerCase.BITS) {
            for (int width : WIDTHS) {
                int rows = 9;
                MinMaxQuantizedBlock block = scheme.quantize(awkwardValues(random, rows, width), rows, width, bits);
                float[] vector = new float[width + 3];
                float[] scalar = new float[width + 3];
                for (int row = 0; row < rows; row++) {
                    int column = random.nextInt(width);
                    int length = random.nextInt(width - column + 1);
                    block.dequantize(row, column, vector, 3, length);
                    block.dequantizeScalar(row, column, scalar, 3, length);
                    assertThat(vector).as("%s %d bits row %d [%d, +%d)", scheme, bits, row, column, length)
                            .isEqualTo(scalar);
                    block.dequantize(row, 0, vector, 0, width);
                    block.dequantizeScalar(row, 0, scalar, 0, width);
                    assertThat(vector).isEqualTo(scalar);
                }
            }
        }
    }

    /**
     * The same on blocks large enough that C2 compiles the kernels while quantizing them (the small cases above run
     * mostly interpreted, on the Vector API's Java fallback): channelwise keys and CST values as a cache re-quantizes
     * them, checked in bulk.
     */
    @Test
    void compiledKernelsGiveTheSameBits() {
        Random random = new Random(5);
        int rows = 3000;
        int width = 256;
        for (QuantizerCase scheme : QuantizerCase.all()) {
            if (!scheme.spec().equals("channelwise") && !scheme.spec().equals("cst")) {
                continue;
            }
            for (int bits : new int[] {2, 4}) {
                float[] values = awkwardValues(random, rows, width);
                MinMaxQuantizedBlock block = null;
                for (int repeat = 0; repeat < 4; repeat++) {
                    block = scheme.quantize(values, rows, width, bits);
                }
                int group = ((MinMaxQuantizer) scheme.quantizer()).group(width, scheme.options());
                int mismatches = 0;
                float[] dequantized = new float[width];
                float[] twin = new float[width];
                for (int row = 0; row < rows; row++) {
                    for (int column = 0; column < width; column++) {
                        float x = block.hasChannelScales()
                                ? values[row * width + column] / block.channelScale(column) : values[row * width + column];
                        GroupParameters parameters = block.parameters(row, column);
                        int expected = MinMaxQuantization.code(x, parameters.minimum(), parameters.step(),
                                MinMaxQuantization.maxCode(bits));
                        mismatches += block.code(row, column) == expected ? 0 : 1;
                    }
                    block.dequantize(row, 0, dequantized, 0, width);
                    block.dequantizeScalar(row, 0, twin, 0, width);
                    mismatches += java.util.Arrays.equals(dequantized, twin) ? 0 : 1;
                }
                if (group == MinMaxQuantizer.PER_COLUMN) {
                    for (int column = 0; column < width; column++) {
                        mismatches += block.parameters(0, column)
                                .equals(MinMaxQuantization.fit(values, column, rows, width, bits)) ? 0 : 1;
                    }
                }
                assertThat(mismatches).as("%s at %d bits", scheme, bits).isZero();
            }
        }
    }

    /**
     * The encoders read rint from the bits of x + 1.5·2^23 after clamping to {@code [0, maxCode]}, where the scalar
     * primitive rounds first and clamps after: the same code for every x, checked on values the quantizers never pass
     * them (far out of range, every half-way point from −1.5 to maxCode + 1.5, signed zeros, 0/0 in constant columns),
     * on enough rows that C2 compiles the kernels partway.
     */
    @Test
    void encodersGiveTheScalarCodeForAnyValue() {
        Random random = new Random(17);
        int width = 48;
        float[] row = new float[width];
        float[] minimums = new float[width];
        float[] steps = new float[width];
        int[] codes = new int[width];
        int mismatches = 0;
        for (int r = 0; r < 20_000; r++) {
            int bits = r % 2 == 0 ? 2 : 4;
            int maxCode = MinMaxQuantization.maxCode(bits);
            for (int i = 0; i < width; i++) {
                minimums[i] = (float) random.nextGaussian();
                steps[i] = i % 11 == 0 ? 0f : 1e-3f + (float) Math.abs(random.nextGaussian());
                row[i] = switch (random.nextInt(5)) {
                    case 0 -> minimums[i] + steps[i] * (random.nextInt(maxCode + 4) - 1.5f);
                    case 1 -> minimums[i];
                    case 2 -> random.nextBoolean() ? -0f : 0f;
                    case 3 -> (float) random.nextGaussian() * 1e6f;
                    default -> (float) random.nextGaussian() * 4;
                };
            }
            EncodeKernels.encodeColumns(row, minimums, steps, maxCode, codes, width);
            for (int i = 0; i < width; i++) {
                mismatches += codes[i] == MinMaxQuantization.code(row[i], minimums[i], steps[i], maxCode) ? 0 : 1;
            }
            float minimum = minimums[r % width];
            float step = steps[(r + 1) % width];
            EncodeKernels.encodeRun(row, 0, minimum, step, maxCode, codes, 0, width);
            for (int i = 0; i < width; i++) {
                mismatches += codes[i] == MinMaxQuantization.code(row[i], minimum, step, maxCode) ? 0 : 1;
            }
        }
        assertThat(mismatches).isZero();
    }

    /** 2-bit codes of 0, 3 and the three half-way points: rint rounds half to even (0.5 → 0, 1.5 → 2, 2.5 → 2). */
    @Test
    void halfWayValuesRoundToEven() {
        float[] column = {0f, 3f, 0.5f, 1.5f, 2.5f, 0.49999997f, 2.5000002f};
        MinMaxQuantizedBlock block = (MinMaxQuantizedBlock) new ChannelwiseQuantizer()
                .quantize(column, 0, column.length, 1, 2, null, null);
        int[] codes = new int[column.length];
        for (int row = 0; row < column.length; row++) {
            codes[row] = block.code(row, 0);
        }
        assertThat(codes).containsExactly(0, 3, 0, 2, 2, 0, 3);
    }

    @Test
    void packingRejectsACodeThatDoesNotFitInTheVectorPartToo() {
        int[] codes = new int[64];
        codes[3] = 4;
        assertThatThrownBy(() -> CodePacking.pack(codes, 2))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("code 4 at index 3 does not fit 2 bits (0..3)");
        codes[3] = -1;
        assertThatThrownBy(() -> CodePacking.pack(codes, 4))
                .hasMessage("code -1 at index 3 does not fit 4 bits (0..15)");
    }

    @Test
    void packingPutsEveryCodeWhereThePlanarLayoutSays() {
        Random random = new Random(11);
        for (int bits : QuantizerCase.BITS) {
            for (int count : new int[] {1, 3, 16, 17, 63, 64, 130, 256, 1000}) {
                int[] codes = new int[count];
                for (int c = 0; c < count; c++) {
                    codes[c] = random.nextInt(MinMaxQuantization.maxCode(bits) + 1);
                }
                assertThat(CodePacking.pack(codes, bits)).as("%d bits, %d codes", bits, count)
                        .isEqualTo(packedByHand(codes, bits));
                assertThat(CodePacking.unpack(CodePacking.pack(codes, bits), count, bits)).isEqualTo(codes);
            }
        }
    }

    private static void assertMatchesScalarPrimitives(QuantizerCase scheme, String what, float[] values, int rows,
                                                      int width, int bits, MinMaxQuantizedBlock block) {
        // The values the groups are fitted on: divided by the block's own fp16 channel scales, if any.
        float[] scaled = new float[rows * width];
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] = block.hasChannelScales() ? values[i] / block.channelScale(i % width) : values[i];
        }
        int group = ((MinMaxQuantizer) scheme.quantizer()).group(width, scheme.options());
        int maxCode = MinMaxQuantization.maxCode(bits);
        for (int row = 0; row < rows; row++) {
            for (int column = 0; column < width; column++) {
                GroupParameters expected;
                if (group == MinMaxQuantizer.PER_COLUMN) {
                    expected = MinMaxQuantization.fit(scaled, column, rows, width, bits);
                } else {
                    int first = column - column % group;
                    expected = MinMaxQuantization.fit(scaled, row * width + first, Math.min(group, width - first), 1,
                            bits);
                }
                GroupParameters parameters = block.parameters(row, column);
                assertThat(parameters).as("%s parameters [%d, %d]", what, row, column).isEqualTo(expected);
                assertThat(block.code(row, column)).as("%s code [%d, %d] of %s", what, row, column,
                        scaled[row * width + column]).isEqualTo(MinMaxQuantization.code(scaled[row * width + column],
                        parameters.minimum(), parameters.step(), maxCode));
            }
        }
    }

    /** The layout of {@link CodePacking}, written out: planes for 2/4/8 bits, a least-significant-first stream for 3. */
    private static byte[] packedByHand(int[] codes, int bits) {
        int bytes = (codes.length * bits + 7) / 8;
        byte[] packed = new byte[bytes];
        for (int c = 0; c < codes.length; c++) {
            if (bits == 3) {
                for (int bit = 0; bit < 3; bit++) {
                    if ((codes[c] >> bit & 1) != 0) {
                        int at = 3 * c + bit;
                        packed[at / 8] |= (byte) (1 << (at % 8));
                    }
                }
            } else {
                packed[c % bytes] |= (byte) (codes[c] << (bits * (c / bytes)));
            }
        }
        return packed;
    }

    /** Random outlier-channel data with signed zeros, a constant column, a constant row and exact half-way values. */
    private static float[] awkwardValues(Random random, int rows, int width) {
        float[] values = QuantizerCase.values(random, rows, width);
        int constantColumn = random.nextInt(width);
        int constantRow = random.nextInt(rows);
        for (int row = 0; row < rows; row++) {
            values[row * width + constantColumn] = 1.25f;
        }
        for (int column = 0; column < width; column++) {
            values[constantRow * width + column] = -0.75f;
        }
        for (int i = 0; i < values.length; i++) {
            switch (random.nextInt(12)) {
                case 0 -> values[i] = -0f;
                case 1 -> values[i] = 0f;
                case 2 -> values[i] = random.nextInt(7) * 0.5f;
                default -> {
                }
            }
        }
        return values;
    }
}
