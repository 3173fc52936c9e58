package dev.zipcache.cache;

import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheStats;


/**
 * An uncompressed cache: every key and value element stored at one precision, per (layer, KV head) in
 * position-major runs so that attention reads each head's keys contiguously. Storage grows in blocks as tokens
 * arrive, up to the geometry's maximum.
 */
final class DenseKvCache extends StepKvCache {

    /** The element format. */
    enum Precision {
        FP32(32), FP16(16);

        private final int bits;

        Precision(int bits) {
            this.bits = bits;
        }

        HeadStore newStore(int dimension) {
            return this == FP32 ? new FloatHeadStore(dimension) : new HalfHeadStore(dimension);
        }
    }

    /** The smallest step of a head's storage, in tokens; it grows by a quarter of its size when that is more. */
    static final int GROWTH_TOKENS = 256;

    private final Precision precision;
    private final int headDimension;
    /** [layer][kvHead] key and value stores; null once closed. */
    private HeadStore[][] keys;
    private HeadStore[][] values;
    private final CausalAttention attention;
    private final AttentionView[] views;
    private int capacity;

    DenseKvCache(KvCacheGeometry geometry, Precision precision) {
        super(geometry);
        this.precision = precision;
        this.keys = new HeadStore[geometry.layers()][geometry.kvHeads()];
        this.values = new HeadStore[geometry.layers()][geometry.kvHeads()];
        for (int layer = 0; layer < geometry.layers(); layer++) {
            for (int head = 0; head < geometry.kvHeads(); head++) {
                keys[layer][head] = precision.newStore(geometry.headDimension());
                values[layer][head] = precision.newStore(geometry.headDimension());
            }
        }
        this.headDimension = geometry.headDimension();
        this.attention = new CausalAttention(geometry);
        this.views = new AttentionView[geometry.kvHeads()];
        for (int head = 0; head < views.length; head++) {
            views[head] = new AttentionView();
        }
    }

    /**
     * Sizes the stores for the announced prompt once, with {@link #GROWTH_TOKENS} to spare for the tokens generated
     * after it: growing batch by batch copied each store about four times over a long prompt (4× the prompt's bytes
     * allocated, and 2.25× held during a copy). A later prompt (a conversation's next turn) grows them by at least the
     * usual quarter, so that many short turns still copy the stores a logarithmic number of times.
     */
    @Override
    public void beginPrefill(int tokens) {
        checkOpen();
        if (announcedPromptFits(tokens)) {
            int end = committed + tokens;
            growFor(end, Math.min(geometry.maxTokens(), end + GROWTH_TOKENS));
        }
    }

    @Override
    public void append(int layer, float[] keys, int keysOffset, float[] values, int valuesOffset, int count) {
        int start = reserve(layer, count);
        int end = start + count;
        growFor(end, end);
        int kvWidth = geometry.kvWidth();
        for (int token = 0; token < count; token++) {
            for (int kvHead = 0; kvHead < geometry.kvHeads(); kvHead++) {
                int offset = token * kvWidth + kvHead * headDimension;
                this.keys[layer][kvHead].store(start + token, keys, keysOffset + offset);
                this.values[layer][kvHead].store(start + token, values, valuesOffset + offset);
            }
        }
    }

    /**
     * Makes room for positions up to {@code end} when the stores hold fewer: {@code wanted} positions ({@code ≥ end}),
     * or a quarter more than now when that is larger, rounded up to whole {@link #GROWTH_TOKENS}. Growing by a fixed
     * step copied the whole store at every step, O(L²) bytes for a long prompt (8.6 GB of copies and garbage for a
     * 32k prompt on attn-heavy).
     */
    private void growFor(int end, int wanted) {
        if (end <= capacity) {
            return;
        }
        int atLeast = Math.max(wanted, capacity + capacity / 4);
        int grown = Math.min(geometry.maxTokens(), (atLeast + GROWTH_TOKENS - 1) / GROWTH_TOKENS * GROWTH_TOKENS);
        for (int layerIndex = 0; layerIndex < geometry.layers(); layerIndex++) {
            for (int head = 0; head < geometry.kvHeads(); head++) {
                keys[layerIndex][head].resize(grown);
                values[layerIndex][head].resize(grown);
            }
        }
        capacity = grown;
    }

    /** Positions each store holds without growing. */
    int capacity() {
        return capacity;
    }

    @Override
    public void attend(int layer, int kvHead, AttentionKind kind, float[] queries, int queriesOffset, int rows,
                       int firstPosition, float[] output, int outputOffset) {
        checkOpen();
        int stored = stored(layer);
        if (firstPosition + rows > stored) {
            throw new IllegalStateException("attend past the stored tokens: rows end at " + (firstPosition + rows)
                    + ", layer " + layer + " holds " + stored);
        }
        AttentionView view = views[kvHead].clear().add(keys[layer][kvHead], 0, values[layer][kvHead], 0, stored);
        attention.attendRows(kvHead, view, queries, queriesOffset, rows, firstPosition, output, outputOffset);
    }

    @Override
    void afterCommit(int count, AttentionKind kind) {
        // Stored as appended: nothing to compress.
    }

    @Override
    public boolean truncate(int length) {
        checkOpen();
        if (length < 0 || length > committed) {
            throw new IllegalArgumentException("cannot truncate a cache of " + committed + " tokens to " + length);
        }
        rewind(length);
        return true;
    }

    @Override
    public KvCacheStats stats() {
        long elements = (long) committed * geometry.layers() * 2L * geometry.kvWidth();
        return KvCacheStats.uniform(committed, elements * precision.bits / 8, geometry.fp16Bytes(committed),
                precision.bits);
    }

    @Override
    public void close() {
        super.close();
        keys = null; // the stores become garbage at once, not when the session object dies
        values = null;
    }
}
