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
            // The widening of decodeRow, written out: a helper returning the vector would box it where not inlined.
            long offset = rowStart + (long) column * Short.BYTES;
            IntVector halves = (IntVector) ShortVector.fromMemorySegment(SHORTS, segment, offset,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, INTS, 0);
            IntVector magnitude = halves.and(HALF_MAGNITUDE_MASK).lanewise(VectorOperators.LSHL, MANTISSA_SHIFT);
            IntVector finite = magnitude.reinterpretAsFloats().mul(EXPONENT_REBIAS).reinterpretAsInts();
            IntVector nonFinite = magnitude.or(FLOAT_EXPONENT_MASK);
            IntVector unsigned = finite.blend(nonFinite, halves.and(HALF_EXPONENT_MASK).eq(HALF_EXPONENT_MASK));
            IntVector sign = halves.and(HALF_SIGN_MASK).lanewise(VectorOperators.LSHL, Short.SIZE);
            FloatVector weights = sign.or(unsigned).reinterpretAsFloats();
            sum = weights.fma(FloatVector.fromArray(FLOATS, x, xOffset + column), sum);
        }
        return addTail(sum.reduceLanes(VectorOperators.ADD), rowStart, column, x, xOffset);
    }

    /**
     * Four rows per pass. The pass is written out by hand, without helper calls, so that C2 compiles it as one graph
     * (see {@link MappedMatrix#dotRowsInPasses}); with calls to a widening helper, four rows boxed vectors.
     */
    private static final int ROWS_PER_PASS = 4;

    /**
     * The magnitude bits of the smallest non-finite half (exponent all ones), placed where {@link #dotRowPass} puts
     * them: a lane at or above this held an infinity or a NaN.
     */
    private static final int NON_FINITE_MAGNITUDE = HALF_EXPONENT_MASK << MANTISSA_SHIFT;
    private static final int SHIFTED_MAGNITUDE_MASK = HALF_MAGNITUDE_MASK << MANTISSA_SHIFT;

    @Override
    public void dotRows(int firstRow, int rowCount, float[] x, int xOffset, float[] out, int outOffset) {
        dotRowsInPasses(firstRow, rowCount, x, xOffset, out, outOffset, ROWS_PER_PASS);
    }

    /**
     * Four rows of {@link #dot} in one pass: each input vector is loaded once and multiplied with the weights of all
     * four rows, whose sums stay in vector registers until one lane reduction per row at the end.
     *
     * <p>Decode reads every weight once per token, so this loop must run at memory speed, and the widening of halves
     * is most of its work. It therefore widens for finite halves only (five lane operations instead of the nine of
     * {@link #decodeRow}): the halves are sign-extended to ints, so that one shift puts the magnitude where a float
     * wants it and the sign bit is already in place; × 2^112 rebiases the exponent, exactly for normal and subnormal
     * halves. Infinities and NaNs would come out as large finite numbers, so each row also keeps the lane-wise maximum
     * of its magnitudes (one more operation), and a row that held a non-finite half is recomputed by {@link #dot}.
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
        FloatVector sum1 = sum0;
        FloatVector sum2 = sum0;
        FloatVector sum3 = sum0;
        IntVector largest0 = IntVector.zero(INTS);
        IntVector largest1 = largest0;
        IntVector largest2 = largest0;
        IntVector largest3 = largest0;
        int column = 0;
        for (; column < vectorEnd; column += FLOAT_LANES) {
            long columnOffset = (long) column * Short.BYTES;
            FloatVector input = FloatVector.fromArray(FLOATS, x, xOffset + column);

            IntVector halves = (IntVector) ShortVector.fromMemorySegment(SHORTS, segment, rowStart0 + columnOffset,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, INTS, 0);
            IntVector magnitude = halves.lanewise(VectorOperators.LSHL, MANTISSA_SHIFT).and(SHIFTED_MAGNITUDE_MASK);
            largest0 = magnitude.max(largest0);
            sum0 = magnitude.reinterpretAsFloats().mul(EXPONENT_REBIAS).reinterpretAsInts()
                    .or(halves.and(Integer.MIN_VALUE)).reinterpretAsFloats().fma(input, sum0);

            halves = (IntVector) ShortVector.fromMemorySegment(SHORTS, segment, rowStart1 + columnOffset,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, INTS, 0);
            magnitude = halves.lanewise(VectorOperators.LSHL, MANTISSA_SHIFT).and(SHIFTED_MAGNITUDE_MASK);
            largest1 = magnitude.max(largest1);
            sum1 = magnitude.reinterpretAsFloats().mul(EXPONENT_REBIAS).reinterpretAsInts()
                    .or(halves.and(Integer.MIN_VALUE)).reinterpretAsFloats().fma(input, sum1);

            halves = (IntVector) ShortVector.fromMemorySegment(SHORTS, segment, rowStart2 + columnOffset,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, INTS, 0);
            magnitude = halves.lanewise(VectorOperators.LSHL, MANTISSA_SHIFT).and(SHIFTED_MAGNITUDE_MASK);
            largest2 = magnitude.max(largest2);
            sum2 = magnitude.reinterpretAsFloats().mul(EXPONENT_REBIAS).reinterpretAsInts()
                    .or(halves.and(Integer.MIN_VALUE)).reinterpretAsFloats().fma(input, sum2);

            halves = (IntVector) ShortVector.fromMemorySegment(SHORTS, segment, rowStart3 + columnOffset,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, INTS, 0);
            magnitude = halves.lanewise(VectorOperators.LSHL, MANTISSA_SHIFT).and(SHIFTED_MAGNITUDE_MASK);
            largest3 = magnitude.max(largest3);
            sum3 = magnitude.reinterpretAsFloats().mul(EXPONENT_REBIAS).reinterpretAsInts()
                    .or(halves.and(Integer.MIN_VALUE)).reinterpretAsFloats().fma(input, sum3);
        }
        out[outIndex] = finishRow(sum0.reduceLanes(VectorOperators.ADD), largest0.reduceLanes(VectorOperators.MAX),
                firstRow, rowStart0, column, x, xOffset);
        out[outIndex + rowStride] = finishRow(sum1.reduceLanes(VectorOperators.ADD),
                largest1.reduceLanes(VectorOperators.MAX), firstRow + rowStride, rowStart1, column, x, xOffset);
        out[outIndex + 2 * rowStride] = finishRow(sum2.reduceLanes(VectorOperators.ADD),
                largest2.reduceLanes(VectorOperators.MAX), firstRow + 2 * rowStride, rowStart2, column, x, xOffset);
        out[outIndex + 3 * rowStride] = finishRow(sum3.reduceLanes(VectorOperators.ADD),
                largest3.reduceLanes(VectorOperators.MAX), firstRow + 3 * rowStride, rowStart3, column, x, xOffset);
    }

    /**
     * A row of {@link #dotRowPass} from its reduced lanes: the sum plus the tail, or {@link #dot} if it held a
     * non-finite half. Takes scalars, not vectors: a vector argument of a call C2 might not inline would be boxed.
     */
    private float finishRow(float vectorSum, int largestMagnitude, int row, long rowStart, int tailColumn, float[] x,
                            int xOffset) {
        if (largestMagnitude >= NON_FINITE_MAGNITUDE) {
            return dot(row, x, xOffset);
        }
        return addTail(vectorSum, rowStart, tailColumn, x, xOffset);
    }

    /**
     * Widens {@link VectorShapes#FLOAT_LANES} halves to floats with integer lane operations (the Vector API has no
     * half-to-float conversion). Shifting the magnitude bits into a float and multiplying by 2^112 rebiases the
     * exponent and is exact for normal and subnormal halves alike; infinities and NaNs (exponent all ones) keep an
     * all-ones float exponent instead; the sign is put back last. A vector at a time; the tail element by element.
     */
    @Override
    void decodeRow(long rowStart, float[] out, int outOffset) {
        int vectorEnd = FLOATS.loopBound(columns);
        int column = 0;
        for (; column < vectorEnd; column += FLOAT_LANES) {
            long offset = rowStart + (long) column * Short.BYTES;
            IntVector halves = (IntVector) ShortVector.fromMemorySegment(SHORTS, segment, offset,
                    ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.S2I, INTS, 0);
            IntVector magnitude = halves.and(HALF_MAGNITUDE_MASK).lanewise(VectorOperators.LSHL, MANTISSA_SHIFT);
            IntVector finite = magnitude.reinterpretAsFloats().mul(EXPONENT_REBIAS).reinterpretAsInts();
            IntVector nonFinite = magnitude.or(FLOAT_EXPONENT_MASK);
            IntVector unsigned = finite.blend(nonFinite, halves.and(HALF_EXPONENT_MASK).eq(HALF_EXPONENT_MASK));
            IntVector sign = halves.and(HALF_SIGN_MASK).lanewise(VectorOperators.LSHL, Short.SIZE);
            FloatVector weights = sign.or(unsigned).reinterpretAsFloats();
            weights.intoArray(out, outOffset + column);
        }
        for (; column < columns; column++) {
            out[outOffset + column] = halfAt(rowStart + (long) column * Short.BYTES);
        }
    }

    @Override
    float weightAt(long offset) {
        return halfAt(offset);
    }
}
