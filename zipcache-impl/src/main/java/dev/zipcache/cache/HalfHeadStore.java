package dev.zipcache.cache;

import dev.zipcache.quantize.HalfVectors;

import java.util.Arrays;

/** Head vectors rounded to IEEE half precision (stored as fp16 bits). */
final class HalfHeadStore implements HeadStore {

    private final int dimension;
    private short[] vectors = new short[0];

    HalfHeadStore(int dimension) {
        this.dimension = dimension;
    }

    @Override
    public void resize(int positions) {
        vectors = Arrays.copyOf(vectors, positions * dimension);
    }

    @Override
    public void store(int position, float[] source, int sourceOffset) {
        int base = position * dimension;
        for (int i = 0; i < dimension; i++) {
            vectors[base + i] = Float.floatToFloat16(source[sourceOffset + i]);
        }
    }

    @Override
    public void dots(int from, int count, float[] query, int queryOffset, float[] scores, int scoresOffset) {
        for (int t = 0; t < count; t++) {
            scores[scoresOffset + t] = HalfVectors.dot(query, queryOffset, vectors, (from + t) * dimension, dimension);
        }
    }

    @Override
    public void addWeighted(int from, int count, float[] weights, int weightsOffset, float[] out, int outOffset) {
        for (int t = 0; t < count; t++) {
            HalfVectors.addScaled(weights[weightsOffset + t], vectors, (from + t) * dimension, out, outOffset,
                    dimension);
        }
    }

    @Override
    public void toFloats(int from, int count, float[] out, int outOffset) {
        HalfVectors.toFloats(vectors, from * dimension, out, outOffset, count * dimension);
    }

    @Override
    public void dotsGroup(int from, int count, float[] queries, int queryOffset, int length, int heads,
                          float[] scores, int scoresOffset, int scoresStride) {
        if (heads != 4) {
            HeadStore.super.dotsGroup(from, count, queries, queryOffset, length, heads, scores, scoresOffset,
                    scoresStride);
            return;
        }
        HalfVectors.dots4(queries, queryOffset, vectors, from * dimension, count, dimension, scores, scoresOffset,
                scoresStride);
    }

    @Override
    public void addWeightedGroup(int from, int count, float[] weights, int weightsOffset, int weightsStride,
                                 int heads, float[] out, int outOffset, int length) {
        if (heads != 4) {
            HeadStore.super.addWeightedGroup(from, count, weights, weightsOffset, weightsStride, heads, out,
                    outOffset, length);
            return;
        }
        HalfVectors.addScaled4(weights, weightsOffset, weightsStride, vectors, from * dimension, count, dimension,
                out, outOffset);
    }
}
