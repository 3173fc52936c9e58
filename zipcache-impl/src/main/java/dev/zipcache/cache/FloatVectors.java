package dev.zipcache.cache;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Vectorized dot product and scaled add over float arrays: the full-precision side of attention. */
final class FloatVectors {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

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
}
