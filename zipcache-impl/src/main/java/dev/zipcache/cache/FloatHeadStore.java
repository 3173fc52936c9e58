package dev.zipcache.cache;

import java.util.Arrays;

/** Head vectors in float32. */
final class FloatHeadStore implements HeadStore {

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
    public void dots(int from, int count, float[] query, int queryOffset, float[] scores, int scoresOffset) {
        for (int t = 0; t < count; t++) {
            scores[scoresOffset + t] = FloatVectors.dot(query, queryOffset, vectors, (from + t) * dimension, dimension);
        }
    }

    @Override
    public void addWeighted(int from, int count, float[] weights, int weightsOffset, float[] out, int outOffset) {
        for (int t = 0; t < count; t++) {
            FloatVectors.addScaled(weights[weightsOffset + t], vectors, (from + t) * dimension, out, outOffset,
                    dimension);
        }
    }

    @Override
    public void toFloats(int from, int count, float[] out, int outOffset) {
        System.arraycopy(vectors, from * dimension, out, outOffset, count * dimension);
    }
}
