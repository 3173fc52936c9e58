package dev.zipcache.cache;

import dev.zipcache.spi.KvCacheGeometry;

import java.util.Arrays;

/**
 * Softmax attention of query rows over the tokens of an {@link AttentionView}, the same for every cache: the view
 * says where each run of tokens' keys and values live (packed codes, a full-precision buffer), and its {@link Rows}
 * compute scores and weighted sums many tokens at a time without expanding anything.
 */
final class CausalAttention {

    /** Receives one row's attention weights summed over the query heads of a KV head (for saliency). */
    interface ProbabilitySink {
        void accept(int row, float[] summedProbabilities, int count);
    }

    private final KvCacheGeometry geometry;
    private final float scale;
    /** Per KV head: the weights of each of its query heads, and their sum over the group's query heads. */
    private final float[][] weights;
    private final float[][] summed;
    /** Per KV head: the tiled kernel's workspace, made on first use. */
    private final TiledAttention[] tiled;

    CausalAttention(KvCacheGeometry geometry) {
        this.geometry = geometry;
        this.scale = (float) (1.0 / Math.sqrt(geometry.headDimension()));
        this.weights = new float[geometry.kvHeads()][geometry.groupSize() * geometry.maxTokens()];
        this.summed = new float[geometry.kvHeads()][geometry.maxTokens()];
        this.tiled = new TiledAttention[geometry.kvHeads()];
    }

    private TiledAttention tiled(int kvHead) {
        TiledAttention kernel = tiled[kvHead];
        if (kernel == null) {
            kernel = new TiledAttention(geometry.headDimension(), geometry.groupSize());
            tiled[kvHead] = kernel;
        }
        return kernel;
    }

    /**
     * Attends {@code rows} consecutive query rows where row {@code r} sees the first {@code firstVisible + r} tokens
     * of {@code view}: a batch of rows goes through the tiled kernel, a single row (decode) through
     * {@link #attendRow}.
     */
    void attendBatch(int kvHead, AttentionView view, float[] queries, int queriesOffset, int rows, int firstVisible,
                     float[] output, int outputOffset) {
        int queryWidth = geometry.queryWidth();
        if (rows > 1) {
            tiled(kvHead).attend(kvHead, view, queries, queriesOffset, rows, queryWidth, firstVisible, output,
                    outputOffset);
            return;
        }
        for (int row = 0; row < rows; row++) {
            attendRow(kvHead, view, firstVisible + row, queries, queriesOffset + row * queryWidth, output,
                    outputOffset + row * queryWidth, row, null);
        }
    }

    /**
     * For each observed row: its attention probabilities over the first {@code visibles[i]} tokens of {@code view},
     * summed over the query heads of {@code kvHead}, exactly normalized (only the observed rows' scores are
     * computed, ZIPCACHE.md §5.2 step 2).
     */
    void observeRows(int kvHead, AttentionView view, float[] queries, int[] queryRowOffsets, int[] visibles,
                     int[] rowIds, int rows, ProbabilitySink sink) {
        tiled(kvHead).probabilities(kvHead, view, queries, queryRowOffsets, visibles, rowIds, rows, sink);
    }

    /**
     * Attends {@code rows} query rows at positions {@code firstPosition ..}, each over the view's tokens up to its own
     * position (the view lists tokens in position order).
     */
    void attendRows(int kvHead, AttentionView view, float[] queries, int queriesOffset, int rows, int firstPosition,
                    float[] output, int outputOffset) {
        attendBatch(kvHead, view, queries, queriesOffset, rows, firstPosition + 1, output, outputOffset);
    }

    /**
     * Attends one query row over the first {@code visible} tokens of {@code view}, for each query head of
     * {@code kvHead}.
     *
     * @param sink when not null, receives the weights summed over the query heads
     */
    void attendRow(int kvHead, AttentionView view, int visible, float[] queries, int queryRowOffset,
                   float[] output, int outputRowOffset, int row, ProbabilitySink sink) {
        int dimension = geometry.headDimension();
        int group = geometry.groupSize();
        int stride = geometry.maxTokens();
        // Per query head of the group, its scores then weights at [member · stride ..]: the stores read each token
        // once for the whole group (GQA).
        float[] scores = weights[kvHead];
        int queryOffset = queryRowOffset + kvHead * group * dimension;
        for (int segment = 0, done = 0; segment < view.size && done < visible; segment++) {
            int count = Math.min(view.counts[segment], visible - done);
            view.keys[segment].dotsGroup(view.keyFrom[segment], count, queries, queryOffset, dimension, group,
                    scores, done, stride);
            done += count;
        }
        for (int member = 0; member < group; member++) {
            Softmax.scaledInPlace(scores, member * stride, visible, scale);
        }
        int out = outputRowOffset + kvHead * group * dimension;
        Arrays.fill(output, out, out + group * dimension, 0f);
        for (int segment = 0, done = 0; segment < view.size && done < visible; segment++) {
            int count = Math.min(view.counts[segment], visible - done);
            view.values[segment].addWeightedGroup(view.valueFrom[segment], count, scores, done, stride, group, output,
                    out, dimension);
            done += count;
        }
        if (sink != null) {
            float[] total = summed[kvHead];
            System.arraycopy(scores, 0, total, 0, visible);
            for (int member = 1; member < group; member++) {
                for (int index = 0; index < visible; index++) {
                    total[index] += scores[member * stride + index];
                }
            }
            sink.accept(row, total, visible);
        }
    }
}
