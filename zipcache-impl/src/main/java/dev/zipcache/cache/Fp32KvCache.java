package dev.zipcache.cache;

import dev.zipcache.spi.KvCacheGeometry;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/** Keys and values in float32: the exact reference cache. */
final class Fp32KvCache extends DenseKvCache {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** [layer][kvHead] → position-major head vectors. */
    private final float[][][] keys;
    private final float[][][] values;

    Fp32KvCache(KvCacheGeometry geometry) {
        super(geometry);
        keys = new float[geometry.layers()][geometry.kvHeads()][0];
        values = new float[geometry.layers()][geometry.kvHeads()][0];
    }

    @Override
    int bitWidth() {
        return 32;
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

    @Override
    void storeKey(int layer, int kvHead, int position, float[] source, int sourceOffset) {
        System.arraycopy(source, sourceOffset, keys[layer][kvHead], position * headDimension, headDimension);
    }

    @Override
    void storeValue(int layer, int kvHead, int position, float[] source, int sourceOffset) {
        System.arraycopy(source, sourceOffset, values[layer][kvHead], position * headDimension, headDimension);
    }

    @Override
    float dotKey(int layer, int kvHead, int position, float[] query, int queryOffset) {
        float[] stored = keys[layer][kvHead];
        int base = position * headDimension;
        int i = 0;
        float sum = 0f;
        int bound = SPECIES.loopBound(headDimension);
        if (bound > 0) {
            FloatVector accumulator = FloatVector.zero(SPECIES);
            for (; i < bound; i += SPECIES.length()) {
                accumulator = FloatVector.fromArray(SPECIES, query, queryOffset + i)
                        .fma(FloatVector.fromArray(SPECIES, stored, base + i), accumulator);
            }
            sum = accumulator.reduceLanes(VectorOperators.ADD);
        }
        for (; i < headDimension; i++) {
            sum += query[queryOffset + i] * stored[base + i];
        }
        return sum;
    }

    @Override
    void addWeightedValue(int layer, int kvHead, int position, float weight, float[] out, int outOffset) {
        float[] stored = values[layer][kvHead];
        int base = position * headDimension;
        int i = 0;
        int bound = SPECIES.loopBound(headDimension);
        for (; i < bound; i += SPECIES.length()) {
            FloatVector.fromArray(SPECIES, stored, base + i)
                    .fma(FloatVector.broadcast(SPECIES, weight), FloatVector.fromArray(SPECIES, out, outOffset + i))
                    .intoArray(out, outOffset + i);
        }
        for (; i < headDimension; i++) {
            out[outOffset + i] += weight * stored[base + i];
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
