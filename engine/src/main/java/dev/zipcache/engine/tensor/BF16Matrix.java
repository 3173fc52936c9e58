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
            // bf16 is a float with its low 16 bits dropped: shift back into place. The sign extension of S2I is
            // shifted out.
            FloatVector weights = ShortVector.fromMemorySegment(
                            SHORTS, segment, rowStart + (long) column * Short.BYTES, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.S2I, INTS, 0)
                    .lanewise(VectorOperators.LSHL, Short.SIZE)
                    .reinterpretAsFloats();
            sum = weights.fma(FloatVector.fromArray(FLOATS, x, xOffset + column), sum);
        }
        return addTail(sum.reduceLanes(VectorOperators.ADD), rowStart, column, x, xOffset);
    }

    @Override
    float weightAt(long offset) {
        return Float.intBitsToFloat(segment.get(SHORT_LE, offset) << Short.SIZE);
    }
}
