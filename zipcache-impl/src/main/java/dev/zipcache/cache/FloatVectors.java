package dev.zipcache.cache;

import dev.zipcache.quantize.QuantizedVectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vectorized dot product, scaled add and exponential over float arrays: the full-precision side of attention.
 *
 * <p><b>Why our own exponential.</b> The Vector API's lane-wise {@code EXP} gives different last bits when C2 has
 * intrinsified it (Intel's short-vector math library) than in the interpreter, C1 or an un-inlined call (a scalar
 * fallback). A softmax over attention scores then changes in the last bits as the JIT warms up, and a compressed
 * cache's discrete choices (which tokens are salient, which code a value rounds to) can turn that into other sampled
 * tokens: a seeded request answered differently in a fresh process than in a warm one. {@link #exp} is built only
 * from operations IEEE 754 specifies exactly (add, multiply, fused multiply-add, compare, integer shifts), so every
 * tier computes the same bits, and {@link #expScalar} computes them too.
 */
final class FloatVectors {

    private static final VectorSpecies<Float> SPECIES = QuantizedVectors.floatSpecies();

    /** 1.5 · 2^23: adding it rounds a float of magnitude below 2^22 to an integer, to nearest even. */
    private static final float ROUNDING_SHIFT = 12_582_912f;
    private static final float LOG2_E = 1.442_695_04f;
    /** ln 2 split in two so that n · ln2 is exact to ~2^-32 (Cody–Waite reduction). */
    private static final float LN2_HIGH = 0.693_359_375f;
    private static final float LN2_LOW = -2.121_944_4e-4f;
    /** Beyond these exp overflows float, or falls below the smallest normal float (we flush to 0 there). */
    private static final float EXP_MAX_ARGUMENT = 88.376_26f;
    private static final float EXP_MIN_ARGUMENT = -87.336_54f;
    /** Minimax coefficients of (exp(r) − 1 − r) / r² on [−ln2/2, ln2/2] (Cephes expf), highest degree first. */
    private static final float[] EXP_POLYNOMIAL = {
            1.987_569_15e-4f, 1.398_199_950_7e-3f, 8.333_451_907_3e-3f, 4.166_579_589_4e-2f, 1.666_666_545_9e-1f,
            5.000_000_120_1e-1f};

    private FloatVectors() {
    }

    /** Σ a[aOffset + i] · b[bOffset + i] for i < length. */
    static float dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
        int i = 0;
        float sum = 0f;
        int bound = SPECIES.loopBound(length);
        if (bound > 0) {
            FloatVector accumulator = FloatVector.zero(SPECIES);
            for (; i < bound; i += SPECIES.length()) {
                accumulator = FloatVector.fromArray(SPECIES, a, aOffset + i)
                        .fma(FloatVector.fromArray(SPECIES, b, bOffset + i), accumulator);
            }
            sum = accumulator.reduceLanes(VectorOperators.ADD);
        }
        for (; i < length; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    /** out[outOffset + i] += weight · source[sourceOffset + i] for i < length. */
    static void addScaled(float weight, float[] source, int sourceOffset, float[] out, int outOffset, int length) {
        int i = 0;
        int bound = SPECIES.loopBound(length);
        if (bound > 0) {
            FloatVector weights = FloatVector.broadcast(SPECIES, weight);
            for (; i < bound; i += SPECIES.length()) {
                FloatVector.fromArray(SPECIES, source, sourceOffset + i)
                        .fma(weights, FloatVector.fromArray(SPECIES, out, outOffset + i))
                        .intoArray(out, outOffset + i);
            }
        }
        for (; i < length; i++) {
            out[outOffset + i] += weight * source[sourceOffset + i];
        }
    }

    /**
     * {@code values[i] = e^(values[i]·scale − shift)} for {@code offset ≤ i < offset + length}, each within 2 ulp of
     * the exact value for arguments in [−87.3, 88.3], 0 below, +∞ above (not for NaN); returns their sum: the whole
     * vectors summed lane-wise and reduced, then the last partial vector's values added in order. With
     * {@code scale = 1} the argument is {@code values[i] − shift} exactly.
     *
     * <p>x = n·ln2 + r with |r| ≤ ln2/2, e^r from a degree-7 polynomial, 2^n put into the exponent bits. The
     * exponential is written out in this one loop, the tail a masked vector of the same loop: a helper taking a vector
     * is boxed wherever C2 does not inline it, and once C2 had compiled such a helper on its own (its species then no
     * constant, every operation the Vector API's Java fallback) it stayed too big to inline.
     */
    static float expInPlace(float[] values, int offset, int length, float scale, float shift) {
        int end = offset + length;
        int wholeEnd = offset + SPECIES.loopBound(length);
        FloatVector sums = FloatVector.zero(SPECIES);
        for (int i = offset; i < end; i += SPECIES.length()) {
            VectorMask<Float> lanes = SPECIES.indexInRange(i, end);
            FloatVector x = FloatVector.fromArray(SPECIES, values, i, lanes).mul(scale).sub(shift);
            VectorMask<Float> underflow = x.compare(VectorOperators.LT, EXP_MIN_ARGUMENT);
            VectorMask<Float> overflow = x.compare(VectorOperators.GT, EXP_MAX_ARGUMENT);
            FloatVector clamped = x.max(EXP_MIN_ARGUMENT).min(EXP_MAX_ARGUMENT);
            FloatVector shifted = clamped.fma(LOG2_E, ROUNDING_SHIFT);
            FloatVector n = shifted.sub(ROUNDING_SHIFT);
            FloatVector r = n.fma(FloatVector.broadcast(SPECIES, -LN2_HIGH), clamped);
            r = n.neg().fma(FloatVector.broadcast(SPECIES, LN2_LOW), r);
            FloatVector p = FloatVector.broadcast(SPECIES, EXP_POLYNOMIAL[0]);
            for (int k = 1; k < EXP_POLYNOMIAL.length; k++) {
                p = r.fma(p, FloatVector.broadcast(SPECIES, EXP_POLYNOMIAL[k]));
            }
            FloatVector expR = r.mul(r).mul(p).add(r).add(1f);
            // 2^n's exponent field, (n + 127) << 23, from the shifted float's bits (1.5·2^23 + n), whose bits above n
            // shift out: two integer operations instead of a float-to-int conversion with Java's fix-ups.
            IntVector exponent = shifted.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23).add(127 << 23);
            FloatVector result = exponent.reinterpretAsFloats().mul(expR)
                    .blend(0f, underflow).blend(Float.POSITIVE_INFINITY, overflow);
            result.intoArray(values, i, lanes);
            if (i < wholeEnd) {
                sums = result.add(sums);
            }
        }
        float sum = sums.reduceLanes(VectorOperators.ADD);
        for (int i = wholeEnd; i < end; i++) {
            sum += values[i];
        }
        return sum;
    }

    /** The scalar twin of {@link #expInPlace}'s exponential: the same operations in the same order, the same bits. */
    static float expScalar(float x) {
        if (x < EXP_MIN_ARGUMENT) {
            return 0f;
        }
        if (x > EXP_MAX_ARGUMENT) {
            return Float.POSITIVE_INFINITY;
        }
        float n = Math.fma(x, LOG2_E, ROUNDING_SHIFT) - ROUNDING_SHIFT;
        float r = Math.fma(n, -LN2_HIGH, x);
        r = Math.fma(-n, LN2_LOW, r);
        float p = EXP_POLYNOMIAL[0];
        for (int k = 1; k < EXP_POLYNOMIAL.length; k++) {
            p = Math.fma(p, r, EXP_POLYNOMIAL[k]);
        }
        float expR = p * (r * r) + r + 1f;
        return expR * Float.intBitsToFloat(((int) n + 127) << 23);
    }
}
