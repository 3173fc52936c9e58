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
 * {@link GgmlType#Q4_0} weights: blocks of 32 elements, each {@code fp16 d} followed by 16 bytes of 4-bit codes.
 * Byte {@code j} holds element {@code j} in its low nibble and element {@code j + 16} in its high nibble (the halves
 * are interleaved, not neighbours), decoded as {@code x = d · (q − 8)} (FORMATS.md §2).
 */
public final class Q4_0Matrix extends MappedMatrix implements WeightMatrix {

    private static final int BLOCK_SIZE = 32;
    private static final int HALF_BLOCK = BLOCK_SIZE / 2;
    private static final int BLOCK_BYTES = 18;
    private static final int CODES_OFFSET = Short.BYTES;
    private static final int LOW_NIBBLE = 0x0F;
    /** Codes are unsigned 0..15 around a zero of 8. */
    private static final int CODE_ZERO = 8;

    /** Wraps {@code segment}, which must hold exactly {@code rows × columns / 32} blocks, row-major. */
    public Q4_0Matrix(MemorySegment segment, int rows, int columns) {
        super(GgmlType.Q4_0, segment, rows, columns);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long rowStart = rowStart(row, x, xOffset);
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int block = 0; block < columns / BLOCK_SIZE; block++) {
            long blockStart = rowStart + (long) block * BLOCK_BYTES;
            int blockX = xOffset + block * BLOCK_SIZE;
            FloatVector blockSum = FloatVector.zero(FLOATS);
            for (int j = 0; j < HALF_BLOCK; j += CODE_LANES) {
                ByteVector packed = ByteVector.fromMemorySegment(
                        CODES, segment, blockStart + CODES_OFFSET + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector firstHalf = packed.and((byte) LOW_NIBBLE).sub((byte) CODE_ZERO);
                ByteVector secondHalf =
                        VectorShapes.shiftRightAndMask(packed, 4, LOW_NIBBLE).sub((byte) CODE_ZERO);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int partX = blockX + j + part * FLOAT_LANES;
                    blockSum = VectorShapes.fmaCodes(firstHalf, part, x, partX, blockSum);
                    blockSum = VectorShapes.fmaCodes(secondHalf, part, x, partX + HALF_BLOCK, blockSum);
                }
            }
            sum = blockSum.fma(FloatVector.broadcast(FLOATS, halfAt(blockStart)), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    @Override
    void decodeBlock(long blockStart, float[] out, int outOffset) {
        float blockScale = halfAt(blockStart);
        for (int j = 0; j < HALF_BLOCK; j++) {
            int packed = Byte.toUnsignedInt(segment.get(ValueLayout.JAVA_BYTE, blockStart + CODES_OFFSET + j));
            out[outOffset + j] = blockScale * ((packed & LOW_NIBBLE) - CODE_ZERO);
            out[outOffset + HALF_BLOCK + j] = blockScale * ((packed >>> 4) - CODE_ZERO);
        }
    }
}
