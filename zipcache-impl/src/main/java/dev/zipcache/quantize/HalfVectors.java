package dev.zipcache.quantize;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import static dev.zipcache.quantize.QuantizedVectors.FLOATS;
import static dev.zipcache.quantize.QuantizedVectors.FLOAT_LANES;
import static dev.zipcache.quantize.QuantizedVectors.halvesAsFloats;

/**
 * Dot product and scaled add over fp16 vectors stored as {@code short} bits, converting eight or sixteen halves per
 * instruction sequence instead of one {@link Float#float16ToFloat} at a time: the fp16 cache's attention.
 * Finite values only (keys and values of a model are).
 */
public final class HalfVectors {

    private HalfVectors() {
    }

    /** Σ query[queryOffset + i] · half(halves[halvesOffset + i]) for i < length. */
    public static float dot(float[] query, int queryOffset, short[] halves, int halvesOffset, int length) {
        int i = 0;
        float sum = 0f;
        int bound = length - length % FLOAT_LANES;
        if (bound > 0) {
            FloatVector accumulator = FloatVector.zero(FLOATS);
            for (; i < bound; i += FLOAT_LANES) {
                accumulator = halvesAsFloats(halves, halvesOffset + i)
                        .fma(FloatVector.fromArray(FLOATS, query, queryOffset + i), accumulator);
            }
            sum = accumulator.reduceLanes(VectorOperators.ADD);
        }
        for (; i < length; i++) {
            sum += query[queryOffset + i] * Float.float16ToFloat(halves[halvesOffset + i]);
        }
        return sum;
    }

    /** out[outOffset + i] += weight · half(halves[halvesOffset + i]) for i < length. */
    public static void addScaled(float weight, short[] halves, int halvesOffset, float[] out, int outOffset,
                                 int length) {
        int i = 0;
        int bound = length - length % FLOAT_LANES;
        if (bound > 0) {
            FloatVector weights = FloatVector.broadcast(FLOATS, weight);
            for (; i < bound; i += FLOAT_LANES) {
                halvesAsFloats(halves, halvesOffset + i)
                        .fma(weights, FloatVector.fromArray(FLOATS, out, outOffset + i))
                        .intoArray(out, outOffset + i);
            }
        }
        for (; i < length; i++) {
            out[outOffset + i] += weight * Float.float16ToFloat(halves[halvesOffset + i]);
        }
    }

    /** out[outOffset + i] = half(halves[halvesOffset + i]) for i < length. */
    public static void toFloats(short[] halves, int halvesOffset, float[] out, int outOffset, int length) {
        int i = 0;
        int bound = length - length % FLOAT_LANES;
        for (; i < bound; i += FLOAT_LANES) {
            halvesAsFloats(halves, halvesOffset + i).intoArray(out, outOffset + i);
        }
        for (; i < length; i++) {
            out[outOffset + i] = Float.float16ToFloat(halves[halvesOffset + i]);
        }
    }
}
