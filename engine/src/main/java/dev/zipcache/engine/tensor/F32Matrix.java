package dev.zipcache.engine.tensor;

import static dev.zipcache.engine.tensor.VectorShapes.FLOATS;
import static dev.zipcache.engine.tensor.VectorShapes.FLOAT_LANES;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/** {@link GgmlType#F32} weights: one little-endian IEEE float per element. */
public final class F32Matrix extends ElementMatrix implements WeightMatrix {

    /** Wraps {@code segment}, which must hold exactly {@code rows × columns} floats, row-major. */
    public F32Matrix(MemorySegment segment, int rows, int columns) {
        super(GgmlType.F32, segment, rows, columns);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long rowStart = rowStart(row, x, xOffset);
        int vectorEnd = FLOATS.loopBound(columns);
        FloatVector sum = FloatVector.zero(FLOATS);
        int column = 0;
        for (; column < vectorEnd; column += FLOAT_LANES) {
            FloatVector weights = FloatVector.fromMemorySegment(
                    FLOATS, segment, rowStart + (long) column * Float.BYTES, ByteOrder.LITTLE_ENDIAN);
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
            long columnOffset = (long) column * Float.BYTES;
            FloatVector input = FloatVector.fromArray(FLOATS, x, xOffset + column);
            sum0 = FloatVector.fromMemorySegment(
                    FLOATS, segment, rowStart0 + columnOffset, ByteOrder.LITTLE_ENDIAN).fma(input, sum0);
            sum1 = FloatVector.fromMemorySegment(
                    FLOATS, segment, rowStart1 + columnOffset, ByteOrder.LITTLE_ENDIAN).fma(input, sum1);
            sum2 = FloatVector.fromMemorySegment(
                    FLOATS, segment, rowStart2 + columnOffset, ByteOrder.LITTLE_ENDIAN).fma(input, sum2);
            sum3 = FloatVector.fromMemorySegment(
                    FLOATS, segment, rowStart3 + columnOffset, ByteOrder.LITTLE_ENDIAN).fma(input, sum3);
        }
        out[outIndex] = addTail(sum0.reduceLanes(VectorOperators.ADD), rowStart0, column, x, xOffset);
        out[outIndex + rowStride] = addTail(sum1.reduceLanes(VectorOperators.ADD), rowStart1, column, x, xOffset);
        out[outIndex + 2 * rowStride] = addTail(sum2.reduceLanes(VectorOperators.ADD), rowStart2, column, x, xOffset);
        out[outIndex + 3 * rowStride] = addTail(sum3.reduceLanes(VectorOperators.ADD), rowStart3, column, x, xOffset);
    }

    /** A copy: the row already holds floats. */
    @Override
    void decodeRow(long rowStart, float[] out, int outOffset) {
        MemorySegment.copy(segment, FLOAT_LE, rowStart, out, outOffset, columns);
    }

    @Override
    float weightAt(long offset) {
        return segment.get(FLOAT_LE, offset);
    }
}
