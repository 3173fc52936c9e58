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

    @Override
    float weightAt(long offset) {
        return segment.get(FLOAT_LE, offset);
    }
}
