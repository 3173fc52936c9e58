package dev.zipcache.spi;

/**
 * The shape of one sequence's KV cache: what a {@link KvCacheProvider} needs to size its storage.
 *
 * @param layers          transformer layers, each with its own keys and values
 * @param kvHeads         key/value heads per layer
 * @param queryHeads      query heads per layer; a multiple of {@code kvHeads} (grouped-query attention)
 * @param headDimension   elements per head vector
 * @param maxTokens       the most tokens the sequence may hold (the model's context length)
 */
public record KvCacheGeometry(int layers, int kvHeads, int queryHeads, int headDimension, int maxTokens) {

    public KvCacheGeometry {
        if (layers <= 0 || kvHeads <= 0 || queryHeads <= 0 || headDimension <= 0 || maxTokens <= 0) {
            throw new IllegalArgumentException("cache geometry needs positive sizes, got " + this);
        }
        if (queryHeads % kvHeads != 0) {
            throw new IllegalArgumentException(
                    "query heads (" + queryHeads + ") must be a multiple of KV heads (" + kvHeads + ")");
        }
    }

    /** Query heads that share one KV head (the GQA group size). */
    public int groupSize() {
        return queryHeads / kvHeads;
    }

    /** Floats of keys (or of values) per token in one layer: {@code kvHeads × headDimension}. */
    public int kvWidth() {
        return kvHeads * headDimension;
    }

    /** Floats of queries (or of attention output) per token: {@code queryHeads × headDimension}. */
    public int queryWidth() {
        return queryHeads * headDimension;
    }

    /** Bytes the keys and values of {@code tokens} tokens take in fp16 over all layers: the reference size. */
    public long fp16Bytes(long tokens) {
        return tokens * layers * 2L * kvWidth() * Short.BYTES;
    }
}
