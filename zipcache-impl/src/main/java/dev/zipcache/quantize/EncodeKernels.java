package dev.zipcache.quantize;

import static dev.zipcache.quantize.QuantizedVectors.FLOATS;
import static dev.zipcache.quantize.QuantizedVectors.FLOAT_LANES;
import static dev.zipcache.quantize.QuantizedVectors.INTS;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * The float-to-code side of quantization, vectorized over the columns of one row: channel scaling, group minima and
 * maxima, encoding and planar packing. A cache quantizes its whole sequence again every {@code interval} decode steps
 * (ZIPCACHE.md §7), so at long contexts this runs over millions of values at a time.
 *
 * <p>Every kernel gives the bits of the scalar primitives in {@link MinMaxQuantization} and {@link CodePacking}: the
 * lane operations are the same IEEE operations in the same order (minimum and maximum are exact in any order), and
 * {@link Math#rint} is the addition of 1.5·2^23, which rounds half to even for any value within ±2^22, read back from
 * the sum's bits; values are clamped to {@code [0, maxCode]} first, which gives the code that rounding then clamping
 * gives (rint is monotonic and keeps integers). The rounding is written out in each loop rather than in a helper
 * that takes a vector (see {@link QuantizedVectors}).
 */
final class EncodeKernels {

    /** x + 1.5·2^23 lands where floats are integers, so the addition rounds x half to even. */
    private static final float ROUNDING_SHIFT = 0x1.8p23f;

    /**
     * The bits of {@link #ROUNDING_SHIFT}: for 0 ≤ x ≤ 2^22 the bits of x + 1.5·2^23 are these plus rint(x), so the
     * code is an integer subtraction, not a float-to-int conversion (which also costs Java's fix-ups for NaN and
     * overflow: it took half of the encoding's time).
     */
    private static final int ROUNDING_SHIFT_BITS = Float.floatToRawIntBits(ROUNDING_SHIFT);

    /** Packed bytes per store, one per int lane; null below 8 lanes, the narrowest byte vector (then packing is scalar). */
    private static final VectorSpecies<Byte> PACKED = INTS.length() < Long.SIZE / Byte.SIZE ? null
            : VectorSpecies.of(byte.class, VectorShape.forBitSize(INTS.length() * Byte.SIZE));

    private EncodeKernels() {
    }

    /** {@code out[i] = values[offset + i] / scales[i]} for {@code i < n}. */
    static void divide(float[] values, int offset, float[] scales, float[] out, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FLOAT_LANES) {
            FloatVector.fromArray(FLOATS, values, offset + i).div(FloatVector.fromArray(FLOATS, scales, i))
                    .intoArray(out, i);
        }
        for (; i < n; i++) {
            out[i] = values[offset + i] / scales[i];
        }
    }

    /** Running per-column extremes: {@code minimum[i] = min(minimum[i], row[i])}, likewise the maximum. */
    static void widen(float[] row, float[] minimum, float[] maximum, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FLOAT_LANES) {
            FloatVector value = FloatVector.fromArray(FLOATS, row, i);
            FloatVector.fromArray(FLOATS, minimum, i).min(value).intoArray(minimum, i);
            FloatVector.fromArray(FLOATS, maximum, i).max(value).intoArray(maximum, i);
        }
        for (; i < n; i++) {
            minimum[i] = Math.min(minimum[i], row[i]);
            maximum[i] = Math.max(maximum[i], row[i]);
        }
    }

    /** Running per-column magnitude: {@code maximum[i] = max(maximum[i], |values[offset + i]|)}. */
    static void widenMagnitude(float[] values, int offset, float[] maximum, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FLOAT_LANES) {
            FloatVector.fromArray(FLOATS, maximum, i)
                    .max(FloatVector.fromArray(FLOATS, values, offset + i).lanewise(VectorOperators.ABS))
                    .intoArray(maximum, i);
        }
        for (; i < n; i++) {
            maximum[i] = Math.max(maximum[i], Math.abs(values[offset + i]));
        }
    }

    /**
     * The smallest and the largest of {@code row[from .. from + n)} into {@code extremes[0]} and {@code extremes[1]},
     * as {@link Math#min} and {@link Math#max} over them (exact in any order, so lanes may be combined in any order).
     */
    static void extremes(float[] row, int from, int n, float[] extremes) {
        int i = 0;
        float minimum = Float.POSITIVE_INFINITY;
        float maximum = Float.NEGATIVE_INFINITY;
        int bound = FLOATS.loopBound(n);
        if (bound > 0) {
            FloatVector lowest = FloatVector.broadcast(FLOATS, Float.POSITIVE_INFINITY);
            FloatVector highest = FloatVector.broadcast(FLOATS, Float.NEGATIVE_INFINITY);
            FloatVector lowest2 = lowest;
            FloatVector highest2 = highest;
            // Two chains each: a row is only 16 vectors or so, and one chain waits on the latency of every step.
            for (; i + FLOAT_LANES < bound; i += 2 * FLOAT_LANES) {
                FloatVector value = FloatVector.fromArray(FLOATS, row, from + i);
                FloatVector value2 = FloatVector.fromArray(FLOATS, row, from + i + FLOAT_LANES);
                lowest = value.min(lowest);
                highest = value.max(highest);
                lowest2 = value2.min(lowest2);
                highest2 = value2.max(highest2);
            }
            for (; i < bound; i += FLOAT_LANES) {
                FloatVector value = FloatVector.fromArray(FLOATS, row, from + i);
                lowest = value.min(lowest);
                highest = value.max(highest);
            }
            minimum = lowest.min(lowest2).reduceLanes(VectorOperators.MIN);
            maximum = highest.max(highest2).reduceLanes(VectorOperators.MAX);
        }
        for (; i < n; i++) {
            minimum = Math.min(minimum, row[from + i]);
            maximum = Math.max(maximum, row[from + i]);
        }
        extremes[0] = minimum;
        extremes[1] = maximum;
    }

    /**
     * {@code codes[i] = MinMaxQuantization.code(row[i], minimums[i], steps[i], maxCode)} for {@code i < n}: one
     * (min, step) per column.
     */
    static void encodeColumns(float[] row, float[] minimums, float[] steps, int maxCode, int[] codes, int n) {
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FLOAT_LANES) {
            FloatVector step = FloatVector.fromArray(FLOATS, steps, i);
            FloatVector scaled = FloatVector.fromArray(FLOATS, row, i).sub(FloatVector.fromArray(FLOATS, minimums, i))
                    .div(step);
            // rint within [0, maxCode] read from the shifted float's bits; 0 where the step is 0 (a constant column,
            // whose 0/0 is NaN).
            scaled.max(0f).min((float) maxCode).add(ROUNDING_SHIFT).reinterpretAsInts().sub(ROUNDING_SHIFT_BITS)
                    .blend(0, step.compare(VectorOperators.EQ, 0f).cast(INTS)).intoArray(codes, i);
        }
        for (; i < n; i++) {
            codes[i] = MinMaxQuantization.code(row[i], minimums[i], steps[i], maxCode);
        }
    }

    /**
     * {@code codes[codesFrom + i] = MinMaxQuantization.code(row[from + i], minimum, step, maxCode)} for {@code i < n}:
     * one (min, step) for the run.
     */
    static void encodeRun(float[] row, int from, float minimum, float step, int maxCode, int[] codes, int codesFrom,
                          int n) {
        if (step == 0f) {
            Arrays.fill(codes, codesFrom, codesFrom + n, 0);
            return;
        }
        int i = 0;
        for (int bound = FLOATS.loopBound(n); i < bound; i += FLOAT_LANES) {
            FloatVector scaled = FloatVector.fromArray(FLOATS, row, from + i).sub(minimum).div(step);
            // rint within [0, maxCode], as in encodeColumns.
            scaled.max(0f).min((float) maxCode).add(ROUNDING_SHIFT).reinterpretAsInts().sub(ROUNDING_SHIFT_BITS)
                    .intoArray(codes, codesFrom + i);
        }
        for (; i < n; i++) {
            codes[codesFrom + i] = MinMaxQuantization.code(row[from + i], minimum, step, maxCode);
        }
    }

    /**
     * Packs the leading bytes of a planar row (bits 2, 4 or 8, layout of {@link CodePacking}) from the {@code count}
     * codes at {@code codes[offset]}, a vector of bytes at a time, as long as every plane of those bytes holds a code
     * and every code fits {@code bits}: byte {@code j} gets codes {@code j, j + w, …} with {@code w} the plane width.
     *
     * @return how many leading bytes were written; the caller packs the rest, and reports any code out of range
     */
    static int packPlanes(int[] codes, int offset, int count, int bits, byte[] out, int outOffset) {
        if (PACKED == null) {
            return 0;
        }
        int planeWidth = CodePacking.rowBytes(count, bits);
        int planes = Byte.SIZE / bits;
        int maxCode = MinMaxQuantization.maxCode(bits);
        // Byte j holds codes j + p·w for every plane p while j + (planes − 1)·w < count.
        int full = Math.max(0, Math.min(planeWidth, count - (planes - 1) * planeWidth));
        int j = 0;
        for (int bound = INTS.loopBound(full); j < bound; j += INTS.length()) {
            IntVector packed = IntVector.zero(INTS);
            for (int plane = 0; plane < planes; plane++) {
                IntVector code = IntVector.fromArray(INTS, codes, offset + j + plane * planeWidth);
                if (code.compare(VectorOperators.UGT, maxCode).anyTrue()) {
                    return j;
                }
                packed = code.lanewise(VectorOperators.LSHL, plane * bits).or(packed);
            }
            ((ByteVector) packed.convertShape(VectorOperators.I2B, PACKED, 0)).intoArray(out, outOffset + j);
        }
        return j;
    }
}
