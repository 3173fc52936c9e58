package dev.zipcache.cache;

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
            int base = (from + t) * dimension;
            float sum = 0f;
            for (int i = 0; i < dimension; i++) {
                sum += query[queryOffset + i] * Float.float16ToFloat(vectors[base + i]);
            }
            scores[scoresOffset + t] = sum;
        }
    }

    @Override
    public void addWeighted(int from, int count, float[] weights, int weightsOffset, float[] out, int outOffset) {
        for (int t = 0; t < count; t++) {
            int base = (from + t) * dimension;
            float weight = weights[weightsOffset + t];
            for (int i = 0; i < dimension; i++) {
                out[outOffset + i] += weight * Float.float16ToFloat(vectors[base + i]);
            }
        }
    }
}
