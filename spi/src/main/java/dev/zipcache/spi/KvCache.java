package dev.zipcache.spi;

/**
 * The key/value cache of one sequence. The engine appends each layer's post-RoPE keys and values and asks the cache
 * to attend, so that an implementation may keep its tokens compressed and fuse dequantization into the dot products
 * instead of expanding the whole cache.
 *
 * <p>Layouts (row-major {@code float[]}, with an offset so that callers need not copy):
 * <ul>
 *   <li>keys and values: {@code [token][kvHead][headDimension]};</li>
 *   <li>queries and attention output: {@code [row][queryHead][headDimension]}, query head {@code q} reading
 *       KV head {@code q / groupSize} (grouped-query attention).</li>
 * </ul>
 *
 * <p>Calling order per forward step of {@code n} tokens: for each layer, {@link #append} then {@link #attend} for
 * every KV head; after the last layer, {@link #commit}. A prompt may be run in several such steps; after its last
 * one the engine calls {@link #endPrefill} (ZipCache scores saliency and compresses the prompt there). {@code attend}
 * for different KV heads of the same layer may run concurrently on several threads; every other call comes from one
 * thread at a time.
 */
public interface KvCache extends AutoCloseable {

    /** The geometry this cache was created for. */
    KvCacheGeometry geometry();

    /** Tokens committed so far: the position the next appended token takes. */
    int length();

    /**
     * Stores the keys and values of {@code count} consecutive tokens of one layer, at positions
     * {@code length() .. length() + count - 1}.
     *
     * @throws IllegalStateException when the cache would exceed {@link KvCacheGeometry#maxTokens()}
     */
    void append(int layer, float[] keys, int keysOffset, float[] values, int valuesOffset, int count);

    /**
     * Causal scaled-dot-product attention of {@code rows} query rows over this layer's stored tokens, for the query
     * heads that read KV head {@code kvHead}. Row {@code r} sits at position {@code firstPosition + r} and attends to
     * positions {@code 0 .. firstPosition + r}; scores are scaled by {@code 1/sqrt(headDimension)} and normalized
     * with softmax. Writes only the output slots of the query heads of {@code kvHead}.
     *
     * @param kind whether these rows are a prompt being prefilled or generated tokens; a cache may treat prefill rows
     *             differently (ZipCache scores saliency on them and attends in full precision)
     */
    void attend(int layer, int kvHead, AttentionKind kind, float[] queries, int queriesOffset, int rows,
                int firstPosition, float[] output, int outputOffset);

    /**
     * Ends one forward step: the tokens appended to every layer since the last commit become part of
     * {@link #length()}.
     *
     * @param kind {@link AttentionKind#PREFILL} after a prompt (a cache may compress the prompt now), otherwise
     *             {@link AttentionKind#DECODE}
     */
    void commit(int count, AttentionKind kind);

    /**
     * Announces a prompt of {@code tokens} tokens before its first batch is appended; {@link #endPrefill()} follows
     * once all of them are committed. A cache that keeps something per prompt row until then may keep only what it
     * will need (ZipCache keeps only its probe rows' queries). A forward pass calls it for every prompt; a caller
     * that does not is still served, at the cost of that memory. The default does nothing.
     */
    default void beginPrefill(int tokens) {
    }

    /**
     * Ends a prompt: every token of it has been appended and committed. A cache may now compress what it held in
     * full precision during the prefill. The default does nothing.
     */
    default void endPrefill() {
    }

    /**
     * Drops every token after the first {@code length}, for a rolled-back or continued conversation.
     *
     * @return false when this cache cannot (a compressed cache may no longer know which stored entry was which
     *         position); the cache is then unchanged, and the caller starts over with {@code truncate(0)}, which
     *         always succeeds
     */
    boolean truncate(int length);

    /** Current statistics. */
    KvCacheStats stats();

    /** Releases the memory this cache holds; the cache must not be used afterwards. */
    @Override
    void close();

    /** Why query rows attend: a prompt's batch or a generated token. */
    enum AttentionKind { PREFILL, DECODE }
}
