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
                    blockSum = VectorShapes.fmaCodes(codes, part, x, blockX + code + part * FLOAT_LANES, blockSum);
                }
            }
            // Every weight of the block is d · q, so d factors out of the block's sum: one multiply per block.
            sum = blockSum.fma(FloatVector.broadcast(FLOATS, halfAt(blockStart)), sum);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    @Override
    void decodeBlock(long blockStart, float[] out, int outOffset) {
        float blockScale = halfAt(blockStart);
        for (int i = 0; i < BLOCK_SIZE; i++) {
            out[outOffset + i] = blockScale * segment.get(ValueLayout.JAVA_BYTE, blockStart + CODES_OFFSET + i);
        }
    }
}
