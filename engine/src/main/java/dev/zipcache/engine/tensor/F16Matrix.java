package dev.zipcache.engine.tensor;

import static dev.zipcache.engine.tensor.VectorShapes.FLOATS;
import static dev.zipcache.engine.tensor.VectorShapes.FLOAT_LANES;
import static dev.zipcache.engine.tensor.VectorShapes.INTS;
import static dev.zipcache.engine.tensor.VectorShapes.SHORTS;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

/** {@link GgmlType#F16} weights: one little-endian IEEE half-precision float per element. */
public final class F16Matrix extends ElementMatrix implements WeightMatrix {

    /** 2^(127 − 15): rebiases a half's exponent field placed in a float's exponent field. */
    private static final float EXPONENT_REBIAS = 0x1p112f;
    private static final int HALF_EXPONENT_MASK = 0x7C00;
    private static final int HALF_MAGNITUDE_MASK = 0x7FFF;
    private static final int HALF_SIGN_MASK = 0x8000;
    private static final int FLOAT_EXPONENT_MASK = 0x7F80_0000;
    /** A half's 10 mantissa bits move to the top of a float's 23. */
    private static final int MANTISSA_SHIFT = 13;

    /** Wraps {@code segment}, which must hold exactly {@code rows × columns} halves, row-major. */
    public F16Matrix(MemorySegment segment, int rows, int columns) {
        super(GgmlType.F16, segment, rows, columns);
    }

    @Override
    public float dot(int row, float[] x, int xOffset) {
        long rowStart = rowStart(row, x, xOffset);
        int vectorEnd = FLOATS.loopBound(columns);
        FloatVector sum = FloatVector.zero(FLOATS);
        int column = 0;
        for (; column < vectorEnd; column += FLOAT_LANES) {
            FloatVector weights = loadHalves(rowStart + (long) column * Short.BYTES);
            sum = weights.fma(FloatVector.fromArray(FLOATS, x, xOffset + column), sum);
        }
        return addTail(sum.reduceLanes(VectorOperators.ADD), rowStart, column, x, xOffset);
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
     * Two rows of {@link #dot} in one pass: each input vector is loaded once and multiplied with the weights of both
     * rows, whose sums stay in vector registers until one lane reduction per row at the end.
     */
    @Override
    void dotRowPass(int firstRow, int rowStride, float[] x, int xOffset, float[] out, int outIndex) {
        long rowBytes = rowStride * rowBytes();
        long rowStart0 = rowStart(firstRow);
        long rowStart1 = rowStart0 + rowBytes;
        int vectorEnd = FLOATS.loopBound(columns);
        FloatVector sum0 = FloatVector.zero(FLOATS);
        FloatVector sum1 = FloatVector.zero(FLOATS);
        int column = 0;
        for (; column < vectorEnd; column += FLOAT_LANES) {
            long columnOffset = (long) column * Short.BYTES;
            FloatVector input = FloatVector.fromArray(FLOATS, x, xOffset + column);
            sum0 = loadHalves(rowStart0 + columnOffset).fma(input, sum0);
            sum1 = loadHalves(rowStart1 + columnOffset).fma(input, sum1);
        }
        out[outIndex] = addTail(sum0.reduceLanes(VectorOperators.ADD), rowStart0, column, x, xOffset);
        out[outIndex + rowStride] = addTail(sum1.reduceLanes(VectorOperators.ADD), rowStart1, column, x, xOffset);
    }

    /**
     * Widens {@link VectorShapes#FLOAT_LANES} halves to floats with integer lane operations (the Vector API has no
     * half-to-float conversion). Shifting the magnitude bits into a float and multiplying by 2^112 rebiases the
     * exponent and is exact for normal and subnormal halves alike; infinities and NaNs (exponent all ones) keep an
     * all-ones float exponent instead; the sign is put back last.
     */
    private FloatVector loadHalves(long offset) {
        IntVector halves = (IntVector) ShortVector.fromMemorySegment(SHORTS, segment, offset, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.S2I, INTS, 0);
        IntVector magnitude = halves.and(HALF_MAGNITUDE_MASK).lanewise(VectorOperators.LSHL, MANTISSA_SHIFT);
        IntVector finite = magnitude.reinterpretAsFloats().mul(EXPONENT_REBIAS).reinterpretAsInts();
        IntVector nonFinite = magnitude.or(FLOAT_EXPONENT_MASK);
        IntVector unsigned = finite.blend(nonFinite, halves.and(HALF_EXPONENT_MASK).eq(HALF_EXPONENT_MASK));
        IntVector sign = halves.and(HALF_SIGN_MASK).lanewise(VectorOperators.LSHL, Short.SIZE);
        return unsigned.or(sign).reinterpretAsFloats();
    }

    @Override
    float weightAt(long offset) {
        return halfAt(offset);
    }
}
