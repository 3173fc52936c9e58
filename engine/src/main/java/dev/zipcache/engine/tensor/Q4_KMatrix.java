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
 * {@link GgmlType#Q4_K} weights, as ggml's {@code block_q4_K}: super-blocks of 256 elements in 144 bytes,
 * {@code fp16 d}, {@code fp16 dmin}, 12 bytes of packed 6-bit scales and mins for 8 sub-blocks of 32, then
 * {@code qs[128]} of 4-bit codes. Element {@code x = d · scale[s] · q − dmin · min[s]} for sub-block {@code s}.
 *
 * <p>Codes come in 32-byte groups: group {@code g} holds sub-block {@code 2g} in its low nibbles and sub-block
 * {@code 2g + 1} in its high nibbles (ggml's {@code dequantize_row_q4_K}).
 */
public final class Q4_KMatrix extends MappedMatrix implements WeightMatrix {

    private static final int BLOCK_SIZE = 256;
    private static final int BLOCK_BYTES = 144;
    private static final int SUB_BLOCK_SIZE = 32;
    private static final int SUB_BLOCKS = BLOCK_SIZE / SUB_BLOCK_SIZE;
    private static final int MIN_SCALE_OFFSET = 2;
    private static final int SCALES_OFFSET = 4;
    private static final int CODES_OFFSET = 16;
    private static final int LOW_NIBBLE = 0x0F;
    private static final int SIX_BITS = 0x3F;
    private static final ValueLayout.OfLong LONG_LE =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Wraps {@code segment}, which must hold exactly {@code rows × columns / 256} super-blocks, row-major. */
    public Q4_KMatrix(MemorySegment segment, int rows, int columns) {
        super(GgmlType.Q4_K, segment, rows, columns);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long rowStart = rowStart(row, x, xOffset);
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int block = 0; block < columns / BLOCK_SIZE; block++) {
            long blockStart = rowStart + (long) block * BLOCK_BYTES;
            float superScale = halfAt(blockStart);
            float superMinScale = halfAt(blockStart + MIN_SCALE_OFFSET);
            long firstScaleBytes = segment.get(LONG_LE, blockStart + SCALES_OFFSET);
            long lastScaleBytes = Integer.toUnsignedLong(segment.get(INT_LE, blockStart + SCALES_OFFSET + 8));
            long scales = unpackScales(firstScaleBytes, lastScaleBytes);
            long mins = unpackMins(firstScaleBytes, lastScaleBytes);
            for (int group = 0; group < SUB_BLOCKS / 2; group++) {
                long groupCodes = blockStart + CODES_OFFSET + (long) group * SUB_BLOCK_SIZE;
                int lowX = xOffset + block * BLOCK_SIZE + 2 * group * SUB_BLOCK_SIZE;
                int highX = lowX + SUB_BLOCK_SIZE;
                // Σ (d·sc·q − dmin·m)·x = d·sc·Σ q·x − dmin·m·Σ x: sum codes · x and x per sub-block, then apply
                // the sub-block's scale and min once.
                FloatVector lowCodeSum = FloatVector.zero(FLOATS);
                FloatVector highCodeSum = FloatVector.zero(FLOATS);
                FloatVector lowInputSum = FloatVector.zero(FLOATS);
                FloatVector highInputSum = FloatVector.zero(FLOATS);
                for (int i = 0; i < SUB_BLOCK_SIZE; i += CODE_LANES) {
                    ByteVector packed = ByteVector.fromMemorySegment(
                            CODES, segment, groupCodes + i, ByteOrder.LITTLE_ENDIAN);
                    ByteVector lowCodes = packed.and((byte) LOW_NIBBLE);
                    ByteVector highCodes = packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4)
                            .reinterpretAsBytes().and((byte) LOW_NIBBLE);
                    for (int part = 0; part < CODE_PARTS; part++) {
                        int partOffset = i + part * FLOAT_LANES;
                        FloatVector lowInput = FloatVector.fromArray(FLOATS, x, lowX + partOffset);
                        FloatVector highInput = FloatVector.fromArray(FLOATS, x, highX + partOffset);
                        lowCodeSum = ((FloatVector) lowCodes.convertShape(VectorOperators.B2F, FLOATS, part))
                                .fma(lowInput, lowCodeSum);
                        highCodeSum = ((FloatVector) highCodes.convertShape(VectorOperators.B2F, FLOATS, part))
                                .fma(highInput, highCodeSum);
                        lowInputSum = lowInput.add(lowInputSum);
                        highInputSum = highInput.add(highInputSum);
                    }
                }
                int lowShift = 16 * group;
                int highShift = lowShift + 8;
                float lowScale = superScale * (int) ((scales >>> lowShift) & 0xFF);
                float lowMin = superMinScale * (int) ((mins >>> lowShift) & 0xFF);
                float highScale = superScale * (int) ((scales >>> highShift) & 0xFF);
                float highMin = superMinScale * (int) ((mins >>> highShift) & 0xFF);
                sum = lowCodeSum.fma(FloatVector.broadcast(FLOATS, lowScale), sum);
                sum = lowInputSum.fma(FloatVector.broadcast(FLOATS, -lowMin), sum);
                sum = highCodeSum.fma(FloatVector.broadcast(FLOATS, highScale), sum);
                sum = highInputSum.fma(FloatVector.broadcast(FLOATS, -highMin), sum);
            }
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /*
     * The same unpacking as scale(..) and min(..), for all 8 sub-blocks at once (SWAR): byte j of the result is the
     * 6-bit value of sub-block j. first = scale bytes 0..7, last = scale bytes 8..11. Sub-blocks 0..3 keep their
     * scales in bytes 0..3 and mins in bytes 4..7 (low 6 bits); sub-blocks 4..7 take their low 4 bits from the
     * nibbles of bytes 8..11 and their top 2 bits from the top bits of bytes 0..3 (scales) or 4..7 (mins).
     */
    private static long unpackScales(long first, long last) {
        long lowSubBlocks = first & 0x3F3F3F3FL;
        long highSubBlocks = (last & 0x0F0F0F0FL) | ((first >>> 2) & 0x30303030L);
        return lowSubBlocks | highSubBlocks << 32;
    }

    private static long unpackMins(long first, long last) {
        long lowSubBlocks = (first >>> 32) & 0x3F3F3F3FL;
        long highSubBlocks = ((last >>> 4) & 0x0F0F0F0FL) | ((first >>> 34) & 0x30303030L);
        return lowSubBlocks | highSubBlocks << 32;
    }

    @Override
    void decodeBlock(long blockStart, float[] out, int outOffset) {
        float superScale = halfAt(blockStart);
        float superMinScale = halfAt(blockStart + MIN_SCALE_OFFSET);
        for (int subBlock = 0; subBlock < SUB_BLOCKS; subBlock++) {
            float subScale = superScale * scale(blockStart, subBlock);
            float subMin = superMinScale * min(blockStart, subBlock);
            long groupCodes = blockStart + CODES_OFFSET + (long) (subBlock / 2) * SUB_BLOCK_SIZE;
            boolean highNibbles = subBlock % 2 == 1;
            for (int i = 0; i < SUB_BLOCK_SIZE; i++) {
                int packed = unsignedByteAt(groupCodes + i);
                int code = highNibbles ? packed >>> 4 : packed & LOW_NIBBLE;
                out[outOffset + subBlock * SUB_BLOCK_SIZE + i] = subScale * code - subMin;
            }
        }
    }

    /**
     * The 6-bit scale of sub-block {@code subBlock}. The 12 scale bytes pack 8 scales and 8 mins: sub-blocks 0..3
     * keep theirs in the low 6 bits of bytes 0..3 (scales) and 4..7 (mins); sub-blocks 4..7 put their low 4 bits in
     * the nibbles of bytes 8..11 and their top 2 bits in the spare top bits of bytes 0..7 (ggml's
     * {@code get_scale_min_k4}).
     */
    private int scale(long blockStart, int subBlock) {
        long scales = blockStart + SCALES_OFFSET;
        if (subBlock < 4) {
            return unsignedByteAt(scales + subBlock) & SIX_BITS;
        }
        int lowBits = unsignedByteAt(scales + subBlock + 4) & LOW_NIBBLE;
        int highBits = unsignedByteAt(scales + subBlock - 4) >>> 6;
        return lowBits | highBits << 4;
    }

    /** The 6-bit min of sub-block {@code subBlock}, packed as {@link #scale} describes. */
    private int min(long blockStart, int subBlock) {
        long scales = blockStart + SCALES_OFFSET;
        if (subBlock < 4) {
            return unsignedByteAt(scales + subBlock + 4) & SIX_BITS;
        }
        int lowBits = unsignedByteAt(scales + subBlock + 4) >>> 4;
        int highBits = unsignedByteAt(scales + subBlock) >>> 6;
        return lowBits | highBits << 4;
    }
}
