package dev.zipcache.engine.tensor;

import static dev.zipcache.engine.tensor.VectorShapes.FLOATS;
import static dev.zipcache.engine.tensor.VectorShapes.FLOAT_LANES;
import static dev.zipcache.engine.tensor.VectorShapes.INTS;
import static dev.zipcache.engine.tensor.VectorShapes.SHORTS;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** {@link GgmlType#BF16} weights: the upper 16 bits of an IEEE float per element, little-endian. */
public final class BF16Matrix extends ElementMatrix implements WeightMatrix {

    /** Wraps {@code segment}, which must hold exactly {@code rows × columns} bfloat16s, row-major. */
    public BF16Matrix(MemorySegment segment, int rows, int columns) {
        super(GgmlType.BF16, segment, rows, columns);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long rowStart = rowStart(row, x, xOffset);
        int vectorEnd = FLOATS.loopBound(columns);
        FloatVector sum = FloatVector.zero(FLOATS);
        int column = 0;
        for (; column < vectorEnd; column += FLOAT_LANES) {
            FloatVector weights = ((FloatVector) ShortVector.fromMemorySegment(SHORTS, segment,
                    rowStart + (long) column * Short.BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, INTS, 0).lanewise(VectorOperators.LSHL, Short.SIZE)
                    .reinterpretAsFloats());
            sum = weights.fma(FloatVector.fromArray(FLOATS, x, xOffset + column), sum);
        }
        return addTail(sum.reduceLanes(VectorOperators.ADD), rowStart, column, x, xOffset);
    }

    /** Four rows per pass, which C2 still compiles without boxing ({@link MappedMatrix#dotRowsInPasses}). */
    private static final int ROWS_PER_PASS = 4;

    @Override
    public void dotRows(int firstRow, int rowCount, float[] x, int xOffset, float[] out, int outOffset) {
        dotRowsInPasses(firstRow, rowCount, x, xOffset, out, outOffset, ROWS_PER_PASS);
    }

    /**
     * Four rows of {@link #dot} in one pass: each input vector is loaded once and multiplied with the weights of all
     * four rows, whose sums stay in vector registers until one lane reduction per row at the end.
     */
    @Override
    void dotRowPass(int firstRow, int rowStride, float[] x, int xOffset, float[] out, int outIndex) {
        long rowBytes = rowStride * rowBytes();
        long rowStart0 = rowStart(firstRow);
        long rowStart1 = rowStart0 + rowBytes;
        long rowStart2 = rowStart1 + rowBytes;
        long rowStart3 = rowStart2 + rowBytes;
        int vectorEnd = FLOATS.loopBound(columns);
        FloatVector sum0 = FloatVector.zero(FLOATS);
        FloatVector sum1 = FloatVector.zero(FLOATS);
        FloatVector sum2 = FloatVector.zero(FLOATS);
        FloatVector sum3 = FloatVector.zero(FLOATS);
        int column = 0;
        for (; column < vectorEnd; column += FLOAT_LANES) {
            long columnOffset = (long) column * Short.BYTES;
            FloatVector input = FloatVector.fromArray(FLOATS, x, xOffset + column);
            sum0 = ((FloatVector) ShortVector.fromMemorySegment(SHORTS, segment, rowStart0 + columnOffset,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, INTS, 0)
                    .lanewise(VectorOperators.LSHL, Short.SIZE).reinterpretAsFloats()).fma(input, sum0);
            sum1 = ((FloatVector) ShortVector.fromMemorySegment(SHORTS, segment, rowStart1 + columnOffset,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, INTS, 0)
                    .lanewise(VectorOperators.LSHL, Short.SIZE).reinterpretAsFloats()).fma(input, sum1);
            sum2 = ((FloatVector) ShortVector.fromMemorySegment(SHORTS, segment, rowStart2 + columnOffset,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, INTS, 0)
                    .lanewise(VectorOperators.LSHL, Short.SIZE).reinterpretAsFloats()).fma(input, sum2);
            sum3 = ((FloatVector) ShortVector.fromMemorySegment(SHORTS, segment, rowStart3 + columnOffset,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, INTS, 0)
                    .lanewise(VectorOperators.LSHL, Short.SIZE).reinterpretAsFloats()).fma(input, sum3);
        }
        out[outIndex] = addTail(sum0.reduceLanes(VectorOperators.ADD), rowStart0, column, x, xOffset);
        out[outIndex + rowStride] = addTail(sum1.reduceLanes(VectorOperators.ADD), rowStart1, column, x, xOffset);
        out[outIndex + 2 * rowStride] = addTail(sum2.reduceLanes(VectorOperators.ADD), rowStart2, column, x, xOffset);
        out[outIndex + 3 * rowStride] = addTail(sum3.reduceLanes(VectorOperators.ADD), rowStart3, column, x, xOffset);
    }

    /**
     * bf16 is a float with its low 16 bits dropped: each half is sign-extended (S2I) and shifted back into place,
     * which shifts the sign extension out. A vector at a time; the tail element by element.
     */
    @Override
    void decodeRow(long rowStart, float[] out, int outOffset) {
        int vectorEnd = FLOATS.loopBound(columns);
        int column = 0;
        for (; column < vectorEnd; column += FLOAT_LANES) {
            ((FloatVector) ShortVector.fromMemorySegment(SHORTS, segment, rowStart + (long) column * Short.BYTES,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, INTS, 0)
                    .lanewise(VectorOperators.LSHL, Short.SIZE).reinterpretAsFloats())
                    .intoArray(out, outOffset + column);
        }
        for (; column < columns; column++) {
            out[outOffset + column] = weightAt(rowStart + (long) column * Short.BYTES);
        }
    }

    @Override
    float weightAt(long offset) {
        return Float.intBitsToFloat(segment.get(SHORT_LE, offset) << Short.SIZE);
    }
}
