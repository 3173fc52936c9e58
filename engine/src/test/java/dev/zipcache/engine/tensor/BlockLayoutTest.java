package dev.zipcache.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Hand-built blocks decode as FORMATS.md §2 and ggml's {@code dequantize_row_*} say, through both the scalar
 * {@link WeightMatrix#dequantizeRow} and the vectorized {@link WeightMatrix#dot} (probed with one-hot inputs, so a
 * lane that reads the wrong code shows up at its column).
 *
 * <p>The K-quant blocks are built by packers written here from ggml's quantizers ({@code quantize_row_q4_K_ref},
 * {@code quantize_row_q6_K_ref}): the inverse direction of the decoders under test.
 */
class BlockLayoutTest {

    @Test
    void decodesQ8_0BlockLikeReference() {
        byte[] block = new byte[GgmlType.Q8_0.bytesPerBlock()];
        MemorySegment segment = MemorySegment.ofArray(block);
        RandomWeights.setHalf(segment, 0, 0.5f);
        float[] expected = new float[32];
        for (int i = 0; i < 32; i++) {
            int code = i == 0 ? -128 : i == 31 ? 127 : 5 * i - 80;
            block[2 + i] = (byte) code;
            expected[i] = 0.5f * code;
        }
        assertDecodes(GgmlType.Q8_0, block, expected);
    }

    @Test
    void decodesQ4_0BlockLikeReference() {
        byte[] block = new byte[GgmlType.Q4_0.bytesPerBlock()];
        RandomWeights.setHalf(MemorySegment.ofArray(block), 0, 2f);
        float[] expected = new float[32];
        for (int j = 0; j < 16; j++) {
            int low = j;
            int high = 15 - j;
            block[2 + j] = (byte) (low | high << 4);
            // Element j is the low nibble of byte j, element j + 16 its high nibble: halves interleave.
            expected[j] = 2f * (low - 8);
            expected[j + 16] = 2f * (high - 8);
        }
        assertDecodes(GgmlType.Q4_0, block, expected);
    }

    @Test
    void decodesQ4_KSuperBlockLikeReference() {
        // 6-bit scales and mins, several ≥ 16 so that the packed high bits matter.
        int[] scales = {1, 17, 33, 63, 5, 40, 22, 60};
        int[] mins = {0, 63, 2, 31, 47, 9, 16, 35};
        int[] codes = new int[256];
        for (int i = 0; i < 256; i++) {
            codes[i] = (i * 7 + 3) % 16;
        }
        float superScale = 0.25f;
        float superMinScale = 0.125f;
        byte[] block = packQ4_K(superScale, superMinScale, scales, mins, codes);
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            int subBlock = i / 32;
            expected[i] = superScale * scales[subBlock] * codes[i] - superMinScale * mins[subBlock];
        }
        assertDecodes(GgmlType.Q4_K, block, expected);
    }

    @Test
    void decodesQ6_KSuperBlockLikeReference() {
        byte[] scales = {1, -1, 2, -3, 5, -8, 13, -21, 34, -55, 89, -128, 127, 7, -7, 0};
        int[] codes = new int[256];
        for (int i = 0; i < 256; i++) {
            codes[i] = (i * 11 + 5) % 64;
        }
        float superScale = 0x1p-7f;
        byte[] block = packQ6_K(superScale, scales, codes);
        float[] expected = new float[256];
        for (int i = 0; i < 256; i++) {
            expected[i] = superScale * scales[i / 16] * (codes[i] - 32);
        }
        assertDecodes(GgmlType.Q6_K, block, expected);
    }

    @Test
    void decodesF16SubnormalsAndExtremesLikeFloat16ToFloat() {
        short[] halves = {0x3C00, (short) 0xC000, 0x0001, 0x03FF, (short) 0x8001, 0x0400, 0x7BFF, (short) 0xFBFF,
                0x0000, (short) 0x8000, 0x3555, 0x2E66, (short) 0xB4CD, 0x5A00, 0x1000, (short) 0x9234,
                0x4248, (short) 0x8200, 0x0200, 0x6400, (short) 0xE400};
        byte[] bytes = new byte[halves.length * 2];
        float[] expected = new float[halves.length];
        for (int i = 0; i < halves.length; i++) {
            MemorySegment.ofArray(bytes).set(RandomWeights.SHORT_LE, 2L * i, halves[i]);
            expected[i] = Float.float16ToFloat(halves[i]);
        }
        assertDecodes(GgmlType.F16, bytes, expected);
    }

    @Test
    void propagatesF16InfinityAndNaNThroughVectorDot() {
        float[] ones = new float[16];
        Arrays.fill(ones, 1f);
        assertThat(f16RowWith((short) 0x7C00).dot(0, ones, 0)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(f16RowWith((short) 0xFC00).dot(0, ones, 0)).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(f16RowWith((short) 0x7E00).dot(0, ones, 0)).isNaN();
    }

    @Test
    void decodesBF16AsUpperHalfOfFloat() {
        short[] values = {
            0x3F80, (short) 0xC040, 0x0001, 0x7F7F, (short) 0x8000, 0x4049, (short) 0xBE20, 0x3C23, 0x1234};
        byte[] bytes = new byte[values.length * 2];
        float[] expected = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            MemorySegment.ofArray(bytes).set(RandomWeights.SHORT_LE, 2L * i, values[i]);
            expected[i] = Float.intBitsToFloat((values[i] & 0xFFFF) << 16);
        }
        assertDecodes(GgmlType.BF16, bytes, expected);
    }

    /** Row 0 of a one-row matrix over {@code bytes} decodes to {@code expected}, scalar and vectorized. */
    private static void assertDecodes(GgmlType type, byte[] bytes, float[] expected) {
        WeightMatrix matrix =
                WeightMatrix.of("layout." + type, type, MemorySegment.ofArray(bytes), 1, expected.length);
        float[] decoded = new float[expected.length];
        matrix.dequantizeRow(0, decoded, 0);
        assertThat(decoded).as("dequantizeRow").containsExactly(expected);
        for (int column = 0; column < expected.length; column++) {
            float[] oneHot = new float[expected.length];
            oneHot[column] = 1f;
            // The vector path may fuse d·scale·q − dmin·m differently: allow a couple of ulps.
            float tolerance = 4 * Math.ulp(Math.max(Math.abs(expected[column]), Float.MIN_NORMAL));
            assertThat(matrix.dot(0, oneHot, 0)).as("dot with one-hot column %d", column)
                    .isCloseTo(expected[column], within(tolerance));
            assertThat(matrix.dotScalar(0, oneHot, 0)).as("dotScalar with one-hot column %d", column)
                    .isCloseTo(expected[column], within(0f));
        }
    }

    private static WeightMatrix f16RowWith(short special) {
        byte[] bytes = new byte[32];
        MemorySegment segment = MemorySegment.ofArray(bytes);
        for (int i = 0; i < 16; i++) {
            segment.set(RandomWeights.SHORT_LE, 2L * i, i == 3 ? special : Float.floatToFloat16(0.5f));
        }
        return WeightMatrix.of("special", GgmlType.F16, segment, 1, 16);
    }

    /**
     * A Q4_K super-block: fp16 d, fp16 dmin, 12 scale bytes (sub-blocks 0..3: scale and min in the low 6 bits of
     * bytes j and j + 4; sub-blocks 4..7: low 4 bits in the nibbles of byte j + 4, high 2 bits in the top bits of
     * bytes j − 4 and j), then 128 code bytes, each 32-byte group holding two sub-blocks in its low / high nibbles.
     */
    private static byte[] packQ4_K(float superScale, float superMinScale, int[] scales, int[] mins, int[] codes) {
        byte[] block = new byte[GgmlType.Q4_K.bytesPerBlock()];
        MemorySegment segment = MemorySegment.ofArray(block);
        RandomWeights.setHalf(segment, 0, superScale);
        RandomWeights.setHalf(segment, 2, superMinScale);
        int[] packed = new int[12];
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                packed[j] = scales[j];
                packed[j + 4] = mins[j];
            } else {
                packed[j + 4] = (scales[j] & 0xF) | (mins[j] & 0xF) << 4;
                packed[j - 4] |= (scales[j] >> 4) << 6;
                packed[j] |= (mins[j] >> 4) << 6;
            }
        }
        for (int i = 0; i < 12; i++) {
            block[4 + i] = (byte) packed[i];
        }
        for (int group = 0; group < 4; group++) {
            for (int l = 0; l < 32; l++) {
                block[16 + 32 * group + l] = (byte) (codes[64 * group + l] | codes[64 * group + 32 + l] << 4);
            }
        }
        return block;
    }

    /**
     * A Q6_K super-block: per half of 128 codes L, ql[l] = low nibbles of L[l] | L[l + 64] << 4, ql[l + 32] = of
     * L[l + 32] | L[l + 96] << 4, qh[l] = the high 2 bits of L[l], L[l + 32], L[l + 64], L[l + 96] in bit pairs
     * 0..3; then 16 int8 scales and fp16 d last.
     */
    private static byte[] packQ6_K(float superScale, byte[] scales, int[] codes) {
        byte[] block = new byte[GgmlType.Q6_K.bytesPerBlock()];
        for (int half = 0; half < 2; half++) {
            int ql = 64 * half;
            int qh = 128 + 32 * half;
            int c = 128 * half;
            for (int l = 0; l < 32; l++) {
                block[ql + l] = (byte) ((codes[c + l] & 0xF) | (codes[c + l + 64] & 0xF) << 4);
                block[ql + l + 32] = (byte) ((codes[c + l + 32] & 0xF) | (codes[c + l + 96] & 0xF) << 4);
                block[qh + l] = (byte) ((codes[c + l] >> 4) | (codes[c + l + 32] >> 4) << 2
                        | (codes[c + l + 64] >> 4) << 4 | (codes[c + l + 96] >> 4) << 6);
            }
        }
        MemorySegment segment = MemorySegment.ofArray(block);
        MemorySegment.copy(scales, 0, segment, ValueLayout.JAVA_BYTE, 192, 16);
        RandomWeights.setHalf(segment, 208, superScale);
        return block;
    }
}
