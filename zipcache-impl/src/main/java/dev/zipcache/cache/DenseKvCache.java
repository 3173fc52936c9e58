package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheStats;

import java.util.Arrays;

/**
 * An uncompressed cache: every key and value element stored at one precision, per (layer, KV head) in
 * position-major runs so that attention reads each head's keys contiguously. Storage grows in blocks as tokens
 * arrive, up to the geometry's maximum. The element format is the subclass's: {@code fp32} or {@code fp16}.
 */
abstract sealed class DenseKvCache implements KvCache permits Fp32KvCache, Fp16KvCache {

    /** Tokens added to a head's storage at a time. */
    static final int GROWTH_TOKENS = 256;

    protected final KvCacheGeometry geometry;
    protected final int headDimension;
    private final int[] pendingPerLayer;
    private final float[][] scoresPerKvHead;
    private final float scale;
    private int committed;
    private int capacity;
    private boolean closed;

    DenseKvCache(KvCacheGeometry geometry) {
        this.geometry = geometry;
        this.headDimension = geometry.headDimension();
        this.pendingPerLayer = new int[geometry.layers()];
        this.scoresPerKvHead = new float[geometry.kvHeads()][0];
        this.scale = (float) (1.0 / Math.sqrt(headDimension));
    }

    /** Bits per stored element. */
    abstract int bitWidth();

    /** Grows every head's storage to hold {@code tokens} tokens. */
    abstract void resize(int tokens);

    /** Stores one head vector of {@code source} at {@code position} of (layer, kvHead). */
    abstract void storeKey(int layer, int kvHead, int position, float[] source, int sourceOffset);

    abstract void storeValue(int layer, int kvHead, int position, float[] source, int sourceOffset);

    /** q · k[position] of (layer, kvHead). */
    abstract float dotKey(int layer, int kvHead, int position, float[] query, int queryOffset);

    /** out += weight · v[position] of (layer, kvHead). */
    abstract void addWeightedValue(int layer, int kvHead, int position, float weight, float[] out, int outOffset);

    /** Releases storage. */
    abstract void release();

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
        int start = committed + pendingPerLayer[layer];
        int end = start + count;
        if (end > geometry.maxTokens()) {
            throw new IllegalStateException("KV cache is full: " + end + " tokens exceed its maximum of "
                    + geometry.maxTokens());
        }
        if (end > capacity) {
            int grown = Math.min(geometry.maxTokens(), (end + GROWTH_TOKENS - 1) / GROWTH_TOKENS * GROWTH_TOKENS);
            resize(grown);
            capacity = grown;
            for (int head = 0; head < scoresPerKvHead.length; head++) {
                scoresPerKvHead[head] = new float[grown];
            }
        }
        int kvWidth = geometry.kvWidth();
        for (int token = 0; token < count; token++) {
            for (int kvHead = 0; kvHead < geometry.kvHeads(); kvHead++) {
                int offset = token * kvWidth + kvHead * headDimension;
                storeKey(layer, kvHead, start + token, keys, keysOffset + offset);
                storeValue(layer, kvHead, start + token, values, valuesOffset + offset);
            }
        }
        pendingPerLayer[layer] += count;
    }

    @Override
    public void attend(int layer, int kvHead, AttentionKind kind, float[] queries, int queriesOffset, int rows,
                       int firstPosition, float[] output, int outputOffset) {
        checkOpen();
        int stored = committed + pendingPerLayer[layer];
        if (firstPosition + rows > stored) {
            throw new IllegalStateException("attend past the stored tokens: rows end at " + (firstPosition + rows)
                    + ", layer " + layer + " holds " + stored);
        }
        float[] scores = scoresPerKvHead[kvHead];
        int queryWidth = geometry.queryWidth();
        int group = geometry.groupSize();
        for (int row = 0; row < rows; row++) {
            int visible = firstPosition + row + 1;
            for (int member = 0; member < group; member++) {
                int head = kvHead * group + member;
                int queryOffset = queriesOffset + row * queryWidth + head * headDimension;
                float max = Float.NEGATIVE_INFINITY;
                for (int position = 0; position < visible; position++) {
                    float score = dotKey(layer, kvHead, position, queries, queryOffset) * scale;
                    scores[position] = score;
                    max = Math.max(max, score);
                }
                float sum = 0f;
                for (int position = 0; position < visible; position++) {
                    float weight = (float) Math.exp(scores[position] - max);
                    scores[position] = weight;
                    sum += weight;
                }
                int out = outputOffset + row * queryWidth + head * headDimension;
                Arrays.fill(output, out, out + headDimension, 0f);
                float inverse = 1f / sum;
                for (int position = 0; position < visible; position++) {
                    addWeightedValue(layer, kvHead, position, scores[position] * inverse, output, out);
                }
            }
        }
    }

    @Override
    public void commit(int count, AttentionKind kind) {
        checkOpen();
        for (int layer = 0; layer < pendingPerLayer.length; layer++) {
            if (pendingPerLayer[layer] != count) {
                throw new IllegalStateException("commit of " + count + " tokens but layer " + layer + " received "
                        + pendingPerLayer[layer]);
            }
        }
        committed += count;
        Arrays.fill(pendingPerLayer, 0);
    }

    @Override
    public void truncate(int length) {
        checkOpen();
        if (length < 0 || length > committed) {
            throw new IllegalArgumentException("cannot truncate a cache of " + committed + " tokens to " + length);
        }
        committed = length;
        Arrays.fill(pendingPerLayer, 0);
    }

    @Override
    public KvCacheStats stats() {
        long elements = (long) committed * geometry.layers() * 2L * geometry.kvWidth();
        return KvCacheStats.uniform(committed, elements * bitWidth() / 8, geometry.fp16Bytes(committed), bitWidth());
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            release();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("KV cache is closed");
        }
    }
}
