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
 * {@link GgmlType#Q8_0} weights: blocks of 32 elements, each {@code fp16 d} followed by {@code int8 qs[32]}, decoded
 * as {@code x[i] = d · qs[i]} (FORMATS.md §2).
 */
public final class Q8_0Matrix extends MappedMatrix implements WeightMatrix {

    private static final int BLOCK_SIZE = 32;
    private static final int BLOCK_BYTES = 34;
    private static final int CODES_OFFSET = Short.BYTES;

    /** Wraps {@code segment}, which must hold exactly {@code rows × columns / 32} blocks, row-major. */
    public Q8_0Matrix(MemorySegment segment, int rows, int columns) {
        super(GgmlType.Q8_0, segment, rows, columns);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long rowStart = rowStart(row, x, xOffset);
        FloatVector sum = FloatVector.zero(FLOATS);
        for (int block = 0; block < columns / BLOCK_SIZE; block++) {
            long blockStart = rowStart + (long) block * BLOCK_BYTES;
            int blockX = xOffset + block * BLOCK_SIZE;
            FloatVector blockSum = FloatVector.zero(FLOATS);
            for (int code = 0; code < BLOCK_SIZE; code += CODE_LANES) {
                ByteVector codes = ByteVector.fromMemorySegment(
                        CODES, segment, blockStart + CODES_OFFSET + code, ByteOrder.LITTLE_ENDIAN);
                for (int part = 0; part < CODE_PARTS; part++) {
                    blockSum = ((FloatVector) codes.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(FloatVector.fromArray(FLOATS, x, blockX + code + part * FLOAT_LANES), blockSum);
                }
            }
            // Every weight of the block is d · q, so d factors out of the block's sum: one multiply per block.
            sum = blockSum.fma(FloatVector.broadcast(FLOATS, halfAt(blockStart)), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /** Four rows per pass, which C2 still compiles without boxing ({@link MappedMatrix#dotRowsInPasses}). */
    private static final int ROWS_PER_PASS = 4;

    @Override
    public void dotRows(int firstRow, int rowCount, float[] x, int xOffset, float[] out, int outOffset) {
        dotRowsInPasses(firstRow, rowCount, x, xOffset, out, outOffset, ROWS_PER_PASS);
    }

    /**
     * Four rows of {@link #dot} in one pass. Block {@code b} of every row covers the same 32 inputs, so each input
     * vector is loaded once and multiplied with the codes of all four rows. Each row keeps its block sum and its
     * running sum in vector registers and applies its own scale {@code d} per block, in the same order as
     * {@link #dot}.
     */
    @Override
    void dotRowPass(int firstRow, int rowStride, float[] x, int xOffset, float[] out, int outIndex) {
        long rowBytes = rowStride * rowBytes();
        long rowStart0 = rowStart(firstRow);
        long rowStart1 = rowStart0 + rowBytes;
        long rowStart2 = rowStart1 + rowBytes;
        long rowStart3 = rowStart2 + rowBytes;
        FloatVector sum0 = FloatVector.zero(FLOATS);
        FloatVector sum1 = FloatVector.zero(FLOATS);
        FloatVector sum2 = FloatVector.zero(FLOATS);
        FloatVector sum3 = FloatVector.zero(FLOATS);
        for (int block = 0; block < columns / BLOCK_SIZE; block++) {
            long blockOffset = (long) block * BLOCK_BYTES;
            int blockX = xOffset + block * BLOCK_SIZE;
            FloatVector blockSum0 = FloatVector.zero(FLOATS);
            FloatVector blockSum1 = FloatVector.zero(FLOATS);
            FloatVector blockSum2 = FloatVector.zero(FLOATS);
            FloatVector blockSum3 = FloatVector.zero(FLOATS);
            for (int code = 0; code < BLOCK_SIZE; code += CODE_LANES) {
                long codesOffset = blockOffset + CODES_OFFSET + code;
                ByteVector codes0 = ByteVector.fromMemorySegment(
                        CODES, segment, rowStart0 + codesOffset, ByteOrder.LITTLE_ENDIAN);
                ByteVector codes1 = ByteVector.fromMemorySegment(
                        CODES, segment, rowStart1 + codesOffset, ByteOrder.LITTLE_ENDIAN);
                ByteVector codes2 = ByteVector.fromMemorySegment(
                        CODES, segment, rowStart2 + codesOffset, ByteOrder.LITTLE_ENDIAN);
                ByteVector codes3 = ByteVector.fromMemorySegment(
                        CODES, segment, rowStart3 + codesOffset, ByteOrder.LITTLE_ENDIAN);
                for (int part = 0; part < CODE_PARTS; part++) {
                    FloatVector input = FloatVector.fromArray(FLOATS, x, blockX + code + part * FLOAT_LANES);
                    blockSum0 = ((FloatVector) codes0.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(input, blockSum0);
                    blockSum1 = ((FloatVector) codes1.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(input, blockSum1);
                    blockSum2 = ((FloatVector) codes2.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(input, blockSum2);
                    blockSum3 = ((FloatVector) codes3.convertShape(VectorOperators.B2F, FLOATS, part))
                            .fma(input, blockSum3);
                }
            }
            sum0 = blockSum0.fma(FloatVector.broadcast(FLOATS, halfAt(rowStart0 + blockOffset)), sum0);
            sum1 = blockSum1.fma(FloatVector.broadcast(FLOATS, halfAt(rowStart1 + blockOffset)), sum1);
            sum2 = blockSum2.fma(FloatVector.broadcast(FLOATS, halfAt(rowStart2 + blockOffset)), sum2);
            sum3 = blockSum3.fma(FloatVector.broadcast(FLOATS, halfAt(rowStart3 + blockOffset)), sum3);
        }
        out[outIndex] = sum0.reduceLanes(VectorOperators.ADD);
        out[outIndex + rowStride] = sum1.reduceLanes(VectorOperators.ADD);
        out[outIndex + 2 * rowStride] = sum2.reduceLanes(VectorOperators.ADD);
        out[outIndex + 3 * rowStride] = sum3.reduceLanes(VectorOperators.ADD);
    }

    /** {@code d · q} per element like {@link #decodeBlock}, a vector of codes at a time: the same floats. */
    @Override
    void decodeRow(long rowStart, float[] out, int outOffset) {
        for (int block = 0; block < columns / BLOCK_SIZE; block++) {
            long blockStart = rowStart + (long) block * BLOCK_BYTES;
            FloatVector blockScale = FloatVector.broadcast(FLOATS, halfAt(blockStart));
            int blockOut = outOffset + block * BLOCK_SIZE;
            for (int code = 0; code < BLOCK_SIZE; code += CODE_LANES) {
                ByteVector codes = ByteVector.fromMemorySegment(
                        CODES, segment, blockStart + CODES_OFFSET + code, ByteOrder.LITTLE_ENDIAN);
                for (int part = 0; part < CODE_PARTS; part++) {
                    ((FloatVector) codes.convertShape(VectorOperators.B2F, FLOATS, part)).mul(blockScale)
                            .intoArray(out, blockOut + code + part * FLOAT_LANES);
                }
            }
        }
    }

    @Override
    void decodeBlock(long blockStart, float[] out, int outOffset) {
        float blockScale = halfAt(blockStart);
        for (int i = 0; i < BLOCK_SIZE; i++) {
            out[outOffset + i] = blockScale * segment.get(ValueLayout.JAVA_BYTE, blockStart + CODES_OFFSET + i);
        }
    }
}
