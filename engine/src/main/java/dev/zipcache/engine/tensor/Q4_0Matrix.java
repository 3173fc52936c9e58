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
                        packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4).reinterpretAsBytes()
                                .and((byte) LOW_NIBBLE).sub((byte) CODE_ZERO);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int partX = blockX + j + part * FLOAT_LANES;
                    blockSum = ((FloatVector) firstHalf.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(FloatVector.fromArray(FLOATS, x, partX), blockSum);
                    blockSum = ((FloatVector) secondHalf.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(FloatVector.fromArray(FLOATS, x, partX + HALF_BLOCK), blockSum);
                }
            }
            sum = blockSum.fma(FloatVector.broadcast(FLOATS, halfAt(blockStart)), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /**
     * Two rows per pass: with four, C2 stops inlining before the end of the kernel and boxes vectors (see
     * {@link MappedMatrix#dotRowsInPasses}).
     */
    private static final int ROWS_PER_PASS = 2;

    @Override
    public void dotRows(int firstRow, int rowCount, float[] x, int xOffset, float[] out, int outOffset) {
        dotRowsInPasses(firstRow, rowCount, x, xOffset, out, outOffset, ROWS_PER_PASS);
    }

    /**
     * Two rows of {@link #dot} in one pass: each pair of input vectors ({@code j} and {@code j + 16} of a block,
     * the two nibbles of the same bytes) is loaded once and multiplied with the codes of both rows. Each row
     * keeps its block sum and running sum in vector registers and applies its own {@code d} per block, in the same
     * order as {@link #dot}.
     */
    @Override
    void dotRowPass(int firstRow, int rowStride, float[] x, int xOffset, float[] out, int outIndex) {
        long rowBytes = rowStride * rowBytes();
        long rowStart0 = rowStart(firstRow);
        long rowStart1 = rowStart0 + rowBytes;
        FloatVector sum0 = FloatVector.zero(FLOATS);
        FloatVector sum1 = FloatVector.zero(FLOATS);
        for (int block = 0; block < columns / BLOCK_SIZE; block++) {
            long blockOffset = (long) block * BLOCK_BYTES;
            int blockX = xOffset + block * BLOCK_SIZE;
            FloatVector blockSum0 = FloatVector.zero(FLOATS);
            FloatVector blockSum1 = FloatVector.zero(FLOATS);
            for (int j = 0; j < HALF_BLOCK; j += CODE_LANES) {
                long codesOffset = blockOffset + CODES_OFFSET + j;
                ByteVector packed0 = ByteVector.fromMemorySegment(
                        CODES, segment, rowStart0 + codesOffset, ByteOrder.LITTLE_ENDIAN);
                ByteVector packed1 = ByteVector.fromMemorySegment(
                        CODES, segment, rowStart1 + codesOffset, ByteOrder.LITTLE_ENDIAN);
                ByteVector firstHalf0 = packed0.and((byte) LOW_NIBBLE).sub((byte) CODE_ZERO);
                ByteVector firstHalf1 = packed1.and((byte) LOW_NIBBLE).sub((byte) CODE_ZERO);
                ByteVector secondHalf0 = packed0.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4)
                        .reinterpretAsBytes().and((byte) LOW_NIBBLE).sub((byte) CODE_ZERO);
                ByteVector secondHalf1 = packed1.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4)
                        .reinterpretAsBytes().and((byte) LOW_NIBBLE).sub((byte) CODE_ZERO);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int partX = blockX + j + part * FLOAT_LANES;
                    FloatVector firstInput = FloatVector.fromArray(FLOATS, x, partX);
                    FloatVector secondInput = FloatVector.fromArray(FLOATS, x, partX + HALF_BLOCK);
                    blockSum0 = ((FloatVector) firstHalf0.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(firstInput, blockSum0);
                    blockSum1 = ((FloatVector) firstHalf1.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(firstInput, blockSum1);
                    blockSum0 = ((FloatVector) secondHalf0.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(secondInput, blockSum0);
                    blockSum1 = ((FloatVector) secondHalf1.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(secondInput, blockSum1);
                }
            }
            sum0 = blockSum0.fma(FloatVector.broadcast(FLOATS, halfAt(rowStart0 + blockOffset)), sum0);
            sum1 = blockSum1.fma(FloatVector.broadcast(FLOATS, halfAt(rowStart1 + blockOffset)), sum1);
        }
        out[outIndex] = sum0.reduceLanes(VectorOperators.ADD);
        out[outIndex + rowStride] = sum1.reduceLanes(VectorOperators.ADD);
    }

    /** {@code d · (q − 8)} per element like {@link #decodeBlock}, a vector of codes at a time: the same floats. */
    @Override
    void decodeRow(long rowStart, float[] out, int outOffset) {
        for (int block = 0; block < columns / BLOCK_SIZE; block++) {
            long blockStart = rowStart + (long) block * BLOCK_BYTES;
            FloatVector blockScale = FloatVector.broadcast(FLOATS, halfAt(blockStart));
            int blockOut = outOffset + block * BLOCK_SIZE;
            for (int j = 0; j < HALF_BLOCK; j += CODE_LANES) {
                ByteVector packed = ByteVector.fromMemorySegment(
                        CODES, segment, blockStart + CODES_OFFSET + j, ByteOrder.LITTLE_ENDIAN);
                ByteVector firstHalf = packed.and((byte) LOW_NIBBLE).sub((byte) CODE_ZERO);
                ByteVector secondHalf = packed.reinterpretAsShorts().lanewise(VectorOperators.LSHR, 4)
                        .reinterpretAsBytes().and((byte) LOW_NIBBLE).sub((byte) CODE_ZERO);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int partOut = blockOut + j + part * FLOAT_LANES;
                    ((FloatVector) firstHalf.convertShape(VectorOperators.B2F, FLOATS, part)).mul(blockScale)
                            .intoArray(out, partOut);
                    ((FloatVector) secondHalf.convertShape(VectorOperators.B2F, FLOATS, part)).mul(blockScale)
                            .intoArray(out, partOut + HALF_BLOCK);
                }
            }
        }
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
