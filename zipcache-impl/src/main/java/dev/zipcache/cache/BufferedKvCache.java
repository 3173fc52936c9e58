package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;

/**
 * What the compressed caches share: appended tokens go to a per-layer full-precision buffer first (so prefill
 * attention is exact), token counts are checked at commit, and a closed cache refuses use. Subclasses decide when
 * buffered tokens are quantized and how attention reads them.
 */
abstract class BufferedKvCache implements KvCache {

    protected final KvCacheGeometry geometry;
    protected final int width;
    protected final int dimension;
    protected final CausalAttention attention;
    protected final TokenBuffer[] bufferedKeys;
    protected final TokenBuffer[] bufferedValues;
    private final int[] pending;
    protected int committed;
    private boolean closed;

    BufferedKvCache(KvCacheGeometry geometry) {
        this.geometry = geometry;
        this.width = geometry.kvWidth();
        this.dimension = geometry.headDimension();
        this.attention = new CausalAttention(geometry);
        this.bufferedKeys = new TokenBuffer[geometry.layers()];
        this.bufferedValues = new TokenBuffer[geometry.layers()];
        this.pending = new int[geometry.layers()];
        for (int layer = 0; layer < geometry.layers(); layer++) {
            bufferedKeys[layer] = new TokenBuffer(width);
            bufferedValues[layer] = new TokenBuffer(width);
        }
    }

    /** Runs after every layer has received the {@code count} committed tokens. */
    abstract void afterCommit(int count, AttentionKind kind);

    @Override
    public KvCacheGeometry geometry() {
        return geometry;
    }

    @Override
    public int length() {
        checkOpen();
        return committed;
    }

    @Override
    public void append(int layer, float[] keys, int keysOffset, float[] values, int valuesOffset, int count) {
        checkOpen();
        if (committed + pending[layer] + count > geometry.maxTokens()) {
            throw new IllegalStateException("KV cache is full: " + (committed + pending[layer] + count)
                    + " tokens exceed its maximum of " + geometry.maxTokens());
        }
        bufferedKeys[layer].append(keys, keysOffset, count);
        bufferedValues[layer].append(values, valuesOffset, count);
        pending[layer] += count;
    }

    @Override
    public void commit(int count, AttentionKind kind) {
        checkOpen();
        for (int layer = 0; layer < pending.length; layer++) {
            if (pending[layer] != count) {
                throw new IllegalStateException("commit of " + count + " tokens but layer " + layer + " received "
                        + pending[layer]);
            }
        }
        java.util.Arrays.fill(pending, 0);
        committed += count;
        afterCommit(count, kind);
    }

    @Override
    public void close() {
        closed = true;
    }

    protected void checkOpen() {
        if (closed) {
            throw new IllegalStateException("KV cache is closed");
        }
    }

    /** Validates a bit width option: 2, 3, 4 or 8. */
    static int bits(String cache, dev.zipcache.spi.SpecOptions options, String key) {
        int bits = options.integer(key, 2, 8);
        if (bits != 2 && bits != 3 && bits != 4 && bits != 8) {
            throw new IllegalArgumentException(cache + ": option '" + key + "' must be 2, 3, 4 or 8, got " + bits);
        }
        return bits;
    }
}
