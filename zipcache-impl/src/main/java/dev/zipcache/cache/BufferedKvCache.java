package dev.zipcache.cache;

import dev.zipcache.spi.KvCacheGeometry;

/**
 * What the compressed caches share: appended tokens go to a per-layer full-precision buffer first (so prefill
 * attention is exact). Subclasses decide when buffered tokens are quantized and how attention reads them.
 */
abstract class BufferedKvCache extends StepKvCache {

    protected final int width;
    protected final int dimension;
    protected final CausalAttention attention;
    protected final TokenBuffer[] bufferedKeys;
    protected final TokenBuffer[] bufferedValues;

    BufferedKvCache(KvCacheGeometry geometry) {
        super(geometry);
        this.width = geometry.kvWidth();
        this.dimension = geometry.headDimension();
        this.attention = new CausalAttention(geometry);
        this.bufferedKeys = new TokenBuffer[geometry.layers()];
        this.bufferedValues = new TokenBuffer[geometry.layers()];
        for (int layer = 0; layer < geometry.layers(); layer++) {
            bufferedKeys[layer] = new TokenBuffer(width);
            bufferedValues[layer] = new TokenBuffer(width);
        }
    }

    @Override
    public void append(int layer, float[] keys, int keysOffset, float[] values, int valuesOffset, int count) {
        reserve(layer, count);
        bufferedKeys[layer].append(keys, keysOffset, count);
        bufferedValues[layer].append(values, valuesOffset, count);
    }

    /** Sizes every layer's buffers for {@code tokens} more tokens at once: a prompt the caller has announced. */
    protected void reserveBuffers(int tokens) {
        if (!announcedPromptFits(tokens)) {
            return;
        }
        for (int layer = 0; layer < bufferedKeys.length; layer++) {
            bufferedKeys[layer].ensureCapacity(bufferedKeys[layer].count() + tokens);
            bufferedValues[layer].ensureCapacity(bufferedValues[layer].count() + tokens);
        }
    }

    /** Tokens {@code layer}'s key buffer holds without growing. */
    int bufferCapacity(int layer) {
        return bufferedKeys[layer].capacity();
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
