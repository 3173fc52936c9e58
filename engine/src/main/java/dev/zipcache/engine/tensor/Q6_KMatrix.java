package dev.zipcache.engine.tensor;

import static dev.zipcache.engine.tensor.VectorShapes.CODES;
import static dev.zipcache.engine.tensor.VectorShapes.CODE_LANES;
import static dev.zipcache.engine.tensor.VectorShapes.CODE_PARTS;
import static dev.zipcache.engine.tensor.VectorShapes.FLOATS;
import static dev.zipcache.engine.tensor.VectorShapes.FLOAT_LANES;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * {@link GgmlType#Q6_K} weights, as ggml's {@code block_q6_K}: super-blocks of 256 elements in 210 bytes,
 * {@code ql[128]} (low 4 bits of each code), {@code qh[64]} (high 2 bits), {@code int8 scales[16]} (one per 16
 * elements) and {@code fp16 d} <em>last</em>. Element {@code x = d · scale · (q − 32)} with 6-bit codes {@code q}.
 *
 * <p>Each half of 128 elements uses 64 bytes of {@code ql} and 32 of {@code qh}. For {@code l < 32}, byte
 * {@code ql[l]} holds elements {@code l} (low nibble) and {@code l + 64} (high nibble), {@code ql[l + 32]} holds
 * {@code l + 32} and {@code l + 96}, and {@code qh[l]} holds the high bits of {@code l, l + 32, l + 64, l + 96} in
 * bit pairs 0-1, 2-3, 4-5, 6-7 (ggml's {@code dequantize_row_q6_K}).
 */
public final class Q6_KMatrix extends MappedMatrix implements WeightMatrix {

    private static final int BLOCK_SIZE = 256;
    private static final int BLOCK_BYTES = 210;
    private static final int HALF_SIZE = 128;
    private static final int QUARTER_SIZE = 32;
    private static final int SCALE_GROUP = 16;
    private static final int LOW_BITS_OFFSET = 0;
    private static final int HIGH_BITS_OFFSET = 128;
    private static final int SCALES_OFFSET = 192;
    private static final int SUPER_SCALE_OFFSET = 208;
    private static final int LOW_NIBBLE = 0x0F;
    /** The two high bits of a code, in place above its low nibble. */
    private static final int HIGH_BITS = 0x30;
    /** Codes are unsigned 0..63 around a zero of 32. */
    private static final int CODE_ZERO = 32;

    /** Wraps {@code segment}, which must hold exactly {@code rows × columns / 256} super-blocks, row-major. */
    public Q6_KMatrix(MemorySegment segment, int rows, int columns) {
        super(GgmlType.Q6_K, segment, rows, columns);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long rowStart = rowStart(row, x, xOffset);
        float sum = 0f;
        for (int block = 0; block < columns / BLOCK_SIZE; block++) {
            long blockStart = rowStart + (long) block * BLOCK_BYTES;
            float superScale = halfAt(blockStart + SUPER_SCALE_OFFSET);
            for (int half = 0; half < 2; half++) {
                long lowBits = blockStart + LOW_BITS_OFFSET + half * (HALF_SIZE / 2);
                long highBits = blockStart + HIGH_BITS_OFFSET + half * (HALF_SIZE / 4);
                long scales = blockStart + SCALES_OFFSET + half * (HALF_SIZE / SCALE_GROUP);
                int halfX = xOffset + block * BLOCK_SIZE + half * HALF_SIZE;
                sum += lowerQuartersDot(lowBits, highBits, scales, superScale, x, halfX);
                sum += upperQuartersDot(lowBits, highBits, scales, superScale, x, halfX + 2 * QUARTER_SIZE);
            }
        }
        return sum;
    }

    /*
     * The decoding is split in two methods that return floats, quarters 0-1 (low nibbles, high-bit pairs 0 and 1)
     * and quarters 2-3 (high nibbles, pairs 2 and 3): all four quarters in one loop body make C2 hit its node-count
     * inlining cutoff, and a vector whose operations are not inlined is boxed on the heap. Shift counts stay
     * constants for the same reason: shifts by a variable count are not always intrinsified.
     */

    /** Σ w·x over quarters 0 and 1 (elements 0..63) of the half starting at {@code lowBits}, {@code highBits}. */
    private float lowerQuartersDot(
            long lowBits, long highBits, long scales, float superScale, float[] x, int quarterX) {
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int l = 0; l < QUARTER_SIZE; l += SCALE_GROUP) {
            FloatVector firstSum = FloatVector.zero(FLOATS);
            FloatVector secondSum = FloatVector.zero(FLOATS);
            for (int i = l; i < l + SCALE_GROUP; i += CODE_LANES) {
                ByteVector high = ByteVector.fromMemorySegment(CODES, segment, highBits + i, ByteOrder.LITTLE_ENDIAN);
                ByteVector first = ByteVector.fromMemorySegment(CODES, segment, lowBits + i, ByteOrder.LITTLE_ENDIAN)
                        .and((byte) LOW_NIBBLE)
                        .or(high.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 4).reinterpretAsBytes()
                                .and((byte) HIGH_BITS)).sub((byte) CODE_ZERO);
                ByteVector second = ByteVector.fromMemorySegment(CODES, segment, lowBits + QUARTER_SIZE + i,
                        ByteOrder.LITTLE_ENDIAN).and((byte) LOW_NIBBLE)
                        .or(high.reinterpretAsShorts().lanewise(VectorOperators.LSHL, 2).reinterpretAsBytes()
                                .and((byte) HIGH_BITS)).sub((byte) CODE_ZERO);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int partX = quarterX + i + part * FLOAT_LANES;
                    firstSum = ((FloatVector) first.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(FloatVector.fromArray(FLOATS, x, partX), firstSum);
                    secondSum = ((FloatVector) second.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(FloatVector.fromArray(FLOATS, x, partX + QUARTER_SIZE), secondSum);
                }
            }
            // Quarter k's scale for l is scales[2k + l / 16].
            long groupScales = scales + l / SCALE_GROUP;
            sum = firstSum.fma(FloatVector.broadcast(FLOATS, superScale * scaleAt(groupScales, 0)), sum);
            sum = secondSum.fma(FloatVector.broadcast(FLOATS, superScale * scaleAt(groupScales, 2)), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /** Σ w·x over quarters 2 and 3 (elements 64..127) of the half starting at {@code lowBits}, {@code highBits}. */
    private float upperQuartersDot(
            long lowBits, long highBits, long scales, float superScale, float[] x, int quarterX) {
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int l = 0; l < QUARTER_SIZE; l += SCALE_GROUP) {
            FloatVector thirdSum = FloatVector.zero(FLOATS);
            FloatVector fourthSum = FloatVector.zero(FLOATS);
            for (int i = l; i < l + SCALE_GROUP; i += CODE_LANES) {
                ByteVector high = ByteVector.fromMemorySegment(CODES, segment, highBits + i, ByteOrder.LITTLE_ENDIAN);
                ByteVector third = ByteVector.fromMemorySegment(CODES, segment, lowBits + i, ByteOrder.LITTLE_ENDIAN)
                        .reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) LOW_NIBBLE)
                        .or(high.and((byte) HIGH_BITS)).sub((byte) CODE_ZERO);
                ByteVector lowB = ByteVector.fromMemorySegment(CODES, segment, lowBits + QUARTER_SIZE + i,
                        ByteOrder.LITTLE_ENDIAN);
                ByteVector fourth = lowB.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                        .and((byte) LOW_NIBBLE)
                        .or(high.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 2).reinterpretAsBytes()
                                .and((byte) HIGH_BITS)).sub((byte) CODE_ZERO);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int partX = quarterX + i + part * FLOAT_LANES;
                    thirdSum = ((FloatVector) third.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(FloatVector.fromArray(FLOATS, x, partX), thirdSum);
                    fourthSum = ((FloatVector) fourth.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(FloatVector.fromArray(FLOATS, x, partX + QUARTER_SIZE), fourthSum);
                }
            }
            long groupScales = scales + l / SCALE_GROUP;
            sum = thirdSum.fma(FloatVector.broadcast(FLOATS, superScale * scaleAt(groupScales, 4)), sum);
            sum = fourthSum.fma(FloatVector.broadcast(FLOATS, superScale * scaleAt(groupScales, 6)), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    @Override
    void decodeBlock(long blockStart, float[] out, int outOffset) {
        float superScale = halfAt(blockStart + SUPER_SCALE_OFFSET);
        for (int element = 0; element < BLOCK_SIZE; element++) {
            int half = element / HALF_SIZE;
            int inHalf = element % HALF_SIZE;
            int quarter = inHalf / QUARTER_SIZE;
            int l = inHalf % QUARTER_SIZE;
            // Quarters 0 and 2 share ql[l], quarters 1 and 3 share ql[l + 32]; 2 and 3 take the high nibble.
            int lowByte = unsignedByteAt(
                    blockStart + LOW_BITS_OFFSET + half * (HALF_SIZE / 2) + (quarter % 2) * QUARTER_SIZE + l);
            int lowNibble = quarter < 2 ? lowByte & LOW_NIBBLE : lowByte >>> 4;
            int highByte = unsignedByteAt(blockStart + HIGH_BITS_OFFSET + half * (HALF_SIZE / 4) + l);
            int highPair = (highByte >>> (2 * quarter)) & 0b11;
            int code = (lowNibble | highPair << 4) - CODE_ZERO;
            int scale = scaleAt(blockStart + SCALES_OFFSET + half * (HALF_SIZE / SCALE_GROUP), inHalf / SCALE_GROUP);
            out[outOffset + element] = superScale * scale * code;
        }
    }

    /** The signed 8-bit scale {@code index} of the scales starting at {@code scales}. */
    private int scaleAt(long scales, int index) {
        return segment.get(ValueLayout.JAVA_BYTE, scales + index);
    }
}
