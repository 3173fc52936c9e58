package dev.zipcache.cache;

import dev.zipcache.spi.KvCacheGeometry;

import java.util.Arrays;

/**
 * Softmax attention of query rows over the tokens of a {@link Keys}/{@link Values} view, the same for every
 * compressed cache: the view decides where each token's key and value come from (packed codes or a full-precision
 * buffer) and computes the dot products and weighted sums without expanding anything.
 */
final class CausalAttention {

    /** Where a token's key lives. Indices are the view's own (not necessarily positions). */
    interface Keys {
        float dot(int index, float[] query, int queryOffset);
    }

    /** Where a token's value lives. */
    interface Values {
        void addWeighted(int index, float weight, float[] out, int outOffset);
    }

    /** Receives one row's attention weights summed over the query heads of a KV head (for saliency). */
    interface ProbabilitySink {
        void accept(int row, float[] summedProbabilities, int count);
    }

    private final KvCacheGeometry geometry;
    private final float scale;
    /** Per KV head: scores of one query head, and the sum over its query heads. */
    private final float[][] scores;
    private final float[][] summed;

    CausalAttention(KvCacheGeometry geometry) {
        this.geometry = geometry;
        this.scale = (float) (1.0 / Math.sqrt(geometry.headDimension()));
        this.scores = new float[geometry.kvHeads()][geometry.maxTokens()];
        this.summed = new float[geometry.kvHeads()][geometry.maxTokens()];
    }

    /**
     * Attends one query row over view indices {@code 0 .. visible − 1} for each query head of {@code kvHead}.
     *
     * @param sink when not null, receives the weights summed over the query heads
     */
    void attendRow(int kvHead, Keys keys, Values values, int visible, float[] queries, int queryRowOffset,
                   float[] output, int outputRowOffset, int row, ProbabilitySink sink) {
        int dimension = geometry.headDimension();
        int group = geometry.groupSize();
        float[] weights = scores[kvHead];
        float[] total = summed[kvHead];
        if (sink != null) {
            Arrays.fill(total, 0, visible, 0f);
        }
        for (int member = 0; member < group; member++) {
            int head = kvHead * group + member;
            int queryOffset = queryRowOffset + head * dimension;
            float max = Float.NEGATIVE_INFINITY;
            for (int index = 0; index < visible; index++) {
                float score = keys.dot(index, queries, queryOffset) * scale;
                weights[index] = score;
                max = Math.max(max, score);
            }
            float sum = 0f;
            for (int index = 0; index < visible; index++) {
                float weight = (float) Math.exp(weights[index] - max);
                weights[index] = weight;
                sum += weight;
            }
            float inverse = 1f / sum;
            int out = outputRowOffset + head * dimension;
            Arrays.fill(output, out, out + dimension, 0f);
            for (int index = 0; index < visible; index++) {
                float probability = weights[index] * inverse;
                values.addWeighted(index, probability, output, out);
                if (sink != null) {
                    total[index] += probability;
                }
            }
        }
        if (sink != null) {
            sink.accept(row, total, visible);
        }
    }
}
