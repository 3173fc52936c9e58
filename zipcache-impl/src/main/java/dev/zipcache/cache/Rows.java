package dev.zipcache.cache;

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
        };
    }
}
