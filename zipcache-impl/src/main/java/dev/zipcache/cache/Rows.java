package dev.zipcache.cache;

import dev.zipcache.quantize.MinMaxQuantizedBlock;
import dev.zipcache.spi.QuantizedBlock;

/**
 * A run of one KV head's tokens, wherever they are held (packed codes, a full-precision buffer): scores against a
 * query and attention-weighted sums, many tokens per call so that a quantized store can hoist the query-side work
 * and accumulate values in code space.
 */
interface Rows {

    /** {@code scores[scoresOffset + t] = query · k[from + t]} for {@code t < count}. */
    void dots(int from, int count, float[] query, int queryOffset, float[] scores, int scoresOffset);

    /** {@code out += Σ_t weights[weightsOffset + t] · v[from + t]} for {@code t < count}. */
    void addWeighted(int from, int count, float[] weights, int weightsOffset, float[] out, int outOffset);

    /**
     * Writes {@code k[from + t]} (this head's channels, as attention reads them) to
     * {@code out[outOffset + t · length ..]} for {@code t < count}: tiled attention converts a block of tokens once
     * and uses it for many query rows.
     */
    void toFloats(int from, int count, float[] out, int outOffset);

    /**
     * {@link #dots} for the {@code heads} query heads of a GQA group (query h at {@code queryOffset + h · length},
     * scores at {@code scoresOffset + h · scoresStride}), so that a store can read each token once for all of them.
     */
    default void dotsGroup(int from, int count, float[] queries, int queryOffset, int length, int heads,
                           float[] scores, int scoresOffset, int scoresStride) {
        for (int h = 0; h < heads; h++) {
            dots(from, count, queries, queryOffset + h * length, scores, scoresOffset + h * scoresStride);
        }
    }

    /**
     * {@link #addWeighted} for the {@code heads} query heads of a GQA group (weights at
     * {@code weightsOffset + h · weightsStride}, output at {@code outOffset + h · length}).
     */
    default void addWeightedGroup(int from, int count, float[] weights, int weightsOffset, int weightsStride,
                                  int heads, float[] out, int outOffset, int length) {
        for (int h = 0; h < heads; h++) {
            addWeighted(from, count, weights, weightsOffset + h * weightsStride, out, outOffset + h * length);
        }
    }

    /** One head's slice ({@code column}, {@code length} channels) of a quantized block's rows. */
    static Rows of(QuantizedBlock block, int column, int length) {
        return new Rows() {
            @Override
            public void dots(int from, int count, float[] query, int queryOffset, float[] scores, int scoresOffset) {
                block.dotRows(from, count, column, query, queryOffset, length, scores, scoresOffset);
            }

            @Override
            public void addWeighted(int from, int count, float[] weights, int weightsOffset, float[] out,
                                    int outOffset) {
                block.addWeightedRows(from, count, column, weights, weightsOffset, out, outOffset, length);
            }

            @Override
            public void toFloats(int from, int count, float[] out, int outOffset) {
                for (int t = 0; t < count; t++) {
                    block.dequantize(from + t, column, out, outOffset + t * length, length);
                }
            }

            @Override
            public void dotsGroup(int from, int count, float[] queries, int queryOffset, int queryStride, int heads,
                                  float[] scores, int scoresOffset, int scoresStride) {
                if (block instanceof MinMaxQuantizedBlock quantized) {
                    quantized.dotRowsGroup(from, count, column, queries, queryOffset, queryStride, heads, length,
                            scores, scoresOffset, scoresStride);
                } else {
                    Rows.super.dotsGroup(from, count, queries, queryOffset, queryStride, heads, scores, scoresOffset,
                            scoresStride);
                }
            }

            @Override
            public void addWeightedGroup(int from, int count, float[] weights, int weightsOffset, int weightsStride,
                                         int heads, float[] out, int outOffset, int outStride) {
                if (block instanceof MinMaxQuantizedBlock quantized) {
                    quantized.addWeightedRowsGroup(from, count, column, weights, weightsOffset, weightsStride, heads,
                            out, outOffset, outStride, length);
                } else {
                    Rows.super.addWeightedGroup(from, count, weights, weightsOffset, weightsStride, heads, out,
                            outOffset, outStride);
                }
            }
        };
    }
}
