package dev.zipcache.cache;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/** Head vectors in float32. */
final class FloatHeadStore implements HeadStore {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private final int dimension;
    private float[] vectors = new float[0];

    FloatHeadStore(int dimension) {
        this.dimension = dimension;
    }

    @Override
    public void resize(int positions) {
        vectors = Arrays.copyOf(vectors, positions * dimension);
    }

    @Override
    public void store(int position, float[] source, int sourceOffset) {
        System.arraycopy(source, sourceOffset, vectors, position * dimension, dimension);
    }

    @Override
    public float dot(int position, float[] query, int queryOffset) {
        int base = position * dimension;
        int i = 0;
        float sum = 0f;
        int bound = SPECIES.loopBound(dimension);
        if (bound > 0) {
            FloatVector accumulator = FloatVector.zero(SPECIES);
            for (; i < bound; i += SPECIES.length()) {
                accumulator = FloatVector.fromArray(SPECIES, query, queryOffset + i)
                        .fma(FloatVector.fromArray(SPECIES, vectors, base + i), accumulator);
            }
            sum = accumulator.reduceLanes(VectorOperators.ADD);
        }
        for (; i < dimension; i++) {
            sum += query[queryOffset + i] * vectors[base + i];
        }
        return sum;
    }

    @Override
    public void addWeighted(int position, float weight, float[] out, int outOffset) {
        int base = position * dimension;
        int i = 0;
        int bound = SPECIES.loopBound(dimension);
        FloatVector weights = FloatVector.broadcast(SPECIES, weight);
        for (; i < bound; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, vectors, base + i)
                    .fma(weights, FloatVector.fromArray(SPECIES, out, outOffset + i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < dimension; i++) {
            out[outOffset + i] += weight * vectors[base + i];
        }
    }
}
