package dev.zipcache.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link WeightQuantizer} encodes like ggml's reference quantizers and round-trips within each type's bound. */
class WeightQuantizerTest {

    private static final int BLOCK = 32;
    /** Relative error of storing a block scale as fp16: half an ulp of an 11-bit significand. */
    private static final double FP16_SCALE_ERROR = 0x1p-11;

    @Test
    void q8_0RoundTripIsWithinHalfAStepPlusScaleRounding() {
        float[] values = withZeroBlock(RandomWeights.gaussian(new Random(1), 8 * BLOCK, 0.1));
        float[] decoded = roundTrip(GgmlType.Q8_0, values);
        for (int block = 0; block < values.length / BLOCK; block++) {
            double step = maxMagnitude(values, block) / 127;
            // |x − q·d| ≤ d/2 with q = round(x/d); storing d as fp16 moves each of |q| ≤ 127 steps by ≤ d·2^-11.
            double bound = step / 2 + 127 * step * FP16_SCALE_ERROR + 1e-7 * maxMagnitude(values, block);
            for (int i = block * BLOCK; i < (block + 1) * BLOCK; i++) {
                assertThat((double) Math.abs(decoded[i] - values[i])).as("element %d", i)
                        .isLessThanOrEqualTo(bound);
            }
        }
    }

    @Test
    void q4_0RoundTripIsWithinHalfAStepExceptTheClampedTop() {
        float[] values = withZeroBlock(RandomWeights.gaussian(new Random(2), 8 * BLOCK, 0.1));
        float[] decoded = roundTrip(GgmlType.Q4_0, values);
        for (int block = 0; block < values.length / BLOCK; block++) {
            double step = maxMagnitude(values, block) / 8;
            // Codes round x/d to nearest, except that +8 steps (the opposite sign of the extreme value) clamps to
            // code 15 = +7 steps, a whole step off; fp16 d moves each of ≤ 8 steps by ≤ d·2^-11.
            double scaleError = 8 * step * FP16_SCALE_ERROR + 1e-7 * maxMagnitude(values, block);
            for (int i = block * BLOCK; i < (block + 1) * BLOCK; i++) {
                boolean clamped = Math.abs(values[i]) > 7.5 * step;
                double bound = (clamped ? step : step / 2) + scaleError;
                assertThat((double) Math.abs(decoded[i] - values[i])).as("element %d", i)
                        .isLessThanOrEqualTo(bound);
            }
        }
    }

    @Test
    void f16AndBf16RoundTripsAreWithinHalfAnUlp() {
        float[] values = RandomWeights.gaussian(new Random(3), 1000, 3.0);
        values[0] = 1e-6f; // an fp16 subnormal
        float[] halves = roundTrip(GgmlType.F16, values);
        float[] bfloats = roundTrip(GgmlType.BF16, values);
        for (int i = 0; i < values.length; i++) {
            // ulp of a p-bit significand at exponent e, no smaller than the subnormal step: 2^(max(e, eMin) − p + 1).
            double f16Ulp = Math.scalb(1.0, Math.max(Math.getExponent(halves[i]), -14) - 10);
            double bf16Ulp = Math.scalb(1.0, Math.max(Math.getExponent(bfloats[i]), -126) - 7);
            assertThat((double) Math.abs(halves[i] - values[i])).as("F16 %d", i).isLessThanOrEqualTo(f16Ulp / 2);
            assertThat((double) Math.abs(bfloats[i] - values[i])).as("BF16 %d", i).isLessThanOrEqualTo(bf16Ulp / 2);
        }
    }

    @Test
    void f32IsStoredVerbatim() {
        float[] values = {1.5f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, Float.NaN};
        assertThat(roundTrip(GgmlType.F32, values)).containsExactly(values);
    }

    @Test
    void encodesQ8_0BlockLikeReference() {
        float[] values = new float[BLOCK];
        values[0] = -127f; // d = 127 / 127 = 1, exactly representable in fp16
        values[1] = 2.5f;
        values[2] = -2.5f;
        values[3] = 0.49999997f;
        values[4] = 126.5f;
        byte[] bytes = WeightQuantizer.quantize(GgmlType.Q8_0, values);
        assertThat(MemorySegment.ofArray(bytes).get(RandomWeights.SHORT_LE, 0)).isEqualTo(Float.floatToFloat16(1f));
        // Halves round away from zero, like C's roundf.
        assertThat(Arrays.copyOfRange(bytes, 2, 7)).containsExactly(-127, 3, -3, 0, 127);
    }

    @Test
    void encodesQ4_0BlockLikeReferenceWithInterleavedHalves() {
        float[] values = new float[BLOCK];
        values[0] = -8f; // the extreme value: d = −8 / −8 = 1, code 0
        values[1] = 3f; // code 11
        values[16] = 7.5f; // 7.5 + 8.5 = 16, clamped to 15
        values[17] = -2.4f; // ⌊−2.4 + 8.5⌋ = 6
        byte[] bytes = WeightQuantizer.quantize(GgmlType.Q4_0, values);
        assertThat(Float.float16ToFloat(MemorySegment.ofArray(bytes).get(RandomWeights.SHORT_LE, 0))).isEqualTo(1f);
        assertThat(bytes[2]).isEqualTo((byte) (0 | 15 << 4));
        assertThat(bytes[3]).isEqualTo((byte) (11 | 6 << 4));
        assertThat(bytes[4]).isEqualTo((byte) 0x88);
    }

    @Test
    void encodesZeroBlocksAsGgmlDoes() {
        byte[] q8 = WeightQuantizer.quantize(GgmlType.Q8_0, new float[BLOCK]);
        byte[] q4 = WeightQuantizer.quantize(GgmlType.Q4_0, new float[BLOCK]);
        assertThat(q8).containsOnly(0);
        // ggml computes d = max / −8 with max = +0, which is −0: fp16 0x8000, stored little-endian.
        assertThat(Arrays.copyOfRange(q4, 0, 2)).containsExactly(0x00, 0x80);
        assertThat(Arrays.copyOfRange(q4, 2, q4.length)).containsOnly((byte) 0x88);
    }

    @Test
    void roundsBf16ToNearestEvenAndKeepsNaN() {
        assertThat(WeightQuantizer.toBFloat16(1f + 0x1p-8f)).isEqualTo((short) 0x3F80);
        assertThat(WeightQuantizer.toBFloat16(1f + 3 * 0x1p-8f)).isEqualTo((short) 0x3F82);
        assertThat(WeightQuantizer.toBFloat16(1f + 0x1p-8f + 0x1p-20f)).isEqualTo((short) 0x3F81);
        assertThat(Float.isNaN(Float.intBitsToFloat(WeightQuantizer.toBFloat16(Float.NaN) << 16))).isTrue();
    }

    @Test
    void writesIntoATargetSegment() {
        float[] values = RandomWeights.gaussian(new Random(4), 2 * BLOCK, 1.0);
        MemorySegment target = MemorySegment.ofArray(new byte[100]);
        assertThat(WeightQuantizer.quantize(GgmlType.Q8_0, values, target)).isEqualTo(68);
        assertThat(target.asSlice(0, 68).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                .containsExactly(WeightQuantizer.quantize(GgmlType.Q8_0, values));
    }

    @Test
    void rejectsUnsupportedTargetsPartialBlocksAndSmallTargets() {
        assertThatThrownBy(() -> WeightQuantizer.quantize(GgmlType.Q4_K, new float[256]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q4_K")
                .hasMessageContaining("Q8_0");
        assertThatThrownBy(() -> WeightQuantizer.quantize(GgmlType.Q8_0, new float[40]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("40");
        assertThatThrownBy(() -> WeightQuantizer.quantize(GgmlType.F16, new float[8],
                MemorySegment.ofArray(new byte[15])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("16 bytes");
    }

    private static float[] roundTrip(GgmlType type, float[] values) {
        byte[] bytes = WeightQuantizer.quantize(type, values);
        float[] decoded = new float[values.length];
        WeightMatrix.of("round-trip", type, MemorySegment.ofArray(bytes), 1, values.length)
                .dequantizeRow(0, decoded, 0);
        return decoded;
    }

    /** Makes the second block all zeros. */
    private static float[] withZeroBlock(float[] values) {
        Arrays.fill(values, BLOCK, 2 * BLOCK, 0f);
        return values;
    }

    private static double maxMagnitude(float[] values, int block) {
        double max = 0;
        for (int i = block * BLOCK; i < (block + 1) * BLOCK; i++) {
            max = Math.max(max, Math.abs(values[i]));
        }
        return max;
    }
}
