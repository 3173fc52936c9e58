package dev.zipcache.cache;

import dev.zipcache.spi.KvCacheGeometry;

import java.util.Arrays;

/** Keys and values rounded to IEEE half precision: the baseline every compressed cache is measured against. */
final class Fp16KvCache extends DenseKvCache {

    /** [layer][kvHead] → position-major head vectors as fp16 bits. */
    private final short[][][] keys;
    private final short[][][] values;

    Fp16KvCache(KvCacheGeometry geometry) {
        super(geometry);
        keys = new short[geometry.layers()][geometry.kvHeads()][0];
        values = new short[geometry.layers()][geometry.kvHeads()][0];
    }

    @Override
    int bitWidth() {
        return 16;
    }

    @Override
    void resize(int tokens) {
        for (int layer = 0; layer < keys.length; layer++) {
            for (int head = 0; head < keys[layer].length; head++) {
                keys[layer][head] = Arrays.copyOf(keys[layer][head], tokens * headDimension);
                values[layer][head] = Arrays.copyOf(values[layer][head], tokens * headDimension);
            }
        }
    }

    private void store(short[] target, int position, float[] source, int sourceOffset) {
        int base = position * headDimension;
        for (int i = 0; i < headDimension; i++) {
            target[base + i] = Float.floatToFloat16(source[sourceOffset + i]);
        }
    }

    @Override
    void storeKey(int layer, int kvHead, int position, float[] source, int sourceOffset) {
        store(keys[layer][kvHead], position, source, sourceOffset);
    }

    @Override
    void storeValue(int layer, int kvHead, int position, float[] source, int sourceOffset) {
        store(values[layer][kvHead], position, source, sourceOffset);
    }

    @Override
    float dotKey(int layer, int kvHead, int position, float[] query, int queryOffset) {
        short[] stored = keys[layer][kvHead];
        int base = position * headDimension;
        float sum = 0f;
        for (int i = 0; i < headDimension; i++) {
            sum += query[queryOffset + i] * Float.float16ToFloat(stored[base + i]);
        }
        return sum;
    }

    @Override
    void addWeightedValue(int layer, int kvHead, int position, float weight, float[] out, int outOffset) {
        short[] stored = values[layer][kvHead];
        int base = position * headDimension;
        for (int i = 0; i < headDimension; i++) {
            out[outOffset + i] += weight * Float.float16ToFloat(stored[base + i]);
        }
    }

    @Override
    void release() {
        for (int layer = 0; layer < keys.length; layer++) {
            Arrays.fill(keys[layer], null);
            Arrays.fill(values[layer], null);
        }
    }
}
