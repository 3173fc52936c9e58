package dev.zipcache.engine.compute;

import dev.zipcache.engine.tensor.VectorShapes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/** Dot products of float arrays, vectorized, with the scalar twin tests compare against. */
final class FloatDot {

    private static final VectorSpecies<Float> SPECIES = VectorShapes.floatSpecies();

    private FloatDot() {
    }

    /** Σ a[aOffset + i] · b[bOffset + i] for i < length. */
    static float dot(float[] a, int aOffset, float[] b, int bOffset, int length) {
        int i = 0;
        float sum = 0f;
        int bound = SPECIES.loopBound(length);
        if (bound > 0) {
            FloatVector first = FloatVector.zero(SPECIES);
            FloatVector second = FloatVector.zero(SPECIES);
            int step = SPECIES.length();
            // Two accumulators hide the latency of dependent fused multiply-adds.
            for (; i + step < bound; i += 2 * step) {
                first = FloatVector.fromArray(SPECIES, a, aOffset + i)
                        .fma(FloatVector.fromArray(SPECIES, b, bOffset + i), first);
                second = FloatVector.fromArray(SPECIES, a, aOffset + i + step)
                        .fma(FloatVector.fromArray(SPECIES, b, bOffset + i + step), second);
            }
            for (; i < bound; i += step) {
                first = FloatVector.fromArray(SPECIES, a, aOffset + i)
                        .fma(FloatVector.fromArray(SPECIES, b, bOffset + i), first);
            }
            sum = first.add(second).reduceLanes(VectorOperators.ADD);
        }
        for (; i < length; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }

    /** The scalar twin of {@link #dot}. */
    static float dotScalar(float[] a, int aOffset, float[] b, int bOffset, int length) {
        float sum = 0f;
        for (int i = 0; i < length; i++) {
            sum += a[aOffset + i] * b[bOffset + i];
        }
        return sum;
    }
}
