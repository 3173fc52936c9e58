package dev.zipcache.cache;

import dev.zipcache.quantize.QuantizedVectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * softmax(scale · x) in place, vectorized: at long contexts one exponential per cached token and query head is a
 * large share of a decode step. The exponential is {@link FloatVectors#exp} (the same bits in every JIT tier, so a
 * seeded generation repeats exactly), its scalar twin on the tail.
 */
final class Softmax {

    private static final VectorSpecies<Float> SPECIES = QuantizedVectors.floatSpecies();

    private Softmax() {
    }

    static void scaledInPlace(float[] values, int length, float scale) {
        scaledInPlace(values, 0, length, scale);
    }

    /** softmax(scale · x) of {@code values[offset .. offset + length)}, in place. */
    static void scaledInPlace(float[] values, int offset, int length, float scale) {
        int bound = offset + SPECIES.loopBound(length);
        length += offset;
        int i = offset;
        float max = Float.NEGATIVE_INFINITY;
        if (bound > offset) {
            FloatVector maxima = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
            for (; i < bound; i += SPECIES.length()) {
                maxima = FloatVector.fromArray(SPECIES, values, i).max(maxima);
            }
            max = maxima.reduceLanes(VectorOperators.MAX);
        }
        for (; i < length; i++) {
            max = Math.max(max, values[i]);
        }
        // exp(scale·x − scale·max): the largest term is exp(0) = 1, so nothing overflows.
        float shift = scale * max;
        float sum = FloatVectors.expInPlace(values, offset, length - offset, scale, shift);
        float inverse = 1f / sum;
        i = offset;
        for (; i < bound; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, values, i).mul(inverse).intoArray(values, i);
        }
        for (; i < length; i++) {
            values[i] *= inverse;
        }
    }

    /** The scalar twin of {@link #scaledInPlace}. */
    static void scaledInPlaceScalar(float[] values, int length, float scale) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) {
            max = Math.max(max, values[i]);
        }
        float shift = scale * max;
        double sum = 0;
        for (int i = 0; i < length; i++) {
            values[i] = (float) Math.exp(values[i] * scale - shift);
            sum += values[i];
        }
        float inverse = (float) (1 / sum);
        for (int i = 0; i < length; i++) {
            values[i] *= inverse;
        }
    }
}
