package dev.zipcache.cache;

import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheStats;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;

/**
 * H2O (ZIPCACHE.md §10.2) with real eviction: each KV head keeps its heavy hitters (highest accumulated attention
 * over every query row so far) plus its most recent tokens, and the rest are gone, not zeroed (§9 A10). Budgets are
 * fractions of the current sequence length ({@code heavy}, {@code recent}), so the cache stays at
 * {@code heavy + recent} of the full size. Eviction starts when a prompt ends; prefill attention is exact.
 */
final class H2oKvCache extends StepKvCache {

    private final double heavyFraction;
    private final double recentFraction;
    private final int dimension;
    private final CausalAttention attention;
    private final HeadSlots[][] heads;
    private boolean evicting;

    H2oKvCache(KvCacheGeometry geometry, double heavyFraction, double recentFraction) {
        super(geometry);
        this.heavyFraction = heavyFraction;
        this.recentFraction = recentFraction;
        this.dimension = geometry.headDimension();
        this.attention = new CausalAttention(geometry);
        this.heads = new HeadSlots[geometry.layers()][geometry.kvHeads()];
        for (HeadSlots[] layer : heads) {
            for (int head = 0; head < layer.length; head++) {
                layer[head] = new HeadSlots();
            }
        }
    }

    /** The kept tokens of one (layer, KV head): fp16-rounded vectors, their positions and accumulated scores. */
    private final class HeadSlots {
        float[] keys = new float[0];
        float[] values = new float[0];
        int[] positions = new int[0];
        double[] scores = new double[0];
        int count;
        final Rows keyRows = new Rows() {
            @Override
            public void dots(int from, int count, float[] query, int queryOffset, float[] scores, int scoresOffset) {
                for (int slot = from; slot < from + count; slot++) {
                    scores[scoresOffset + slot - from] =
                            FloatVectors.dot(query, queryOffset, keys, slot * dimension, dimension);
                }
            }

            @Override
            public void addWeighted(int from, int count, float[] weights, int weightsOffset, float[] out,
                                    int outOffset) {
                throw new UnsupportedOperationException("keys are not summed");
            }

            @Override
            public void toFloats(int from, int count, float[] out, int outOffset) {
                System.arraycopy(keys, from * dimension, out, outOffset, count * dimension);
            }
        };
        final Rows valueRows = new Rows() {
            @Override
            public void dots(int from, int count, float[] query, int queryOffset, float[] scores, int scoresOffset) {
                throw new UnsupportedOperationException("values are not scored");
            }

            @Override
            public void addWeighted(int from, int count, float[] weights, int weightsOffset, float[] out,
                                    int outOffset) {
                for (int slot = from; slot < from + count; slot++) {
                    FloatVectors.addScaled(weights[weightsOffset + slot - from], values, slot * dimension, out,
                            outOffset, dimension);
                }
            }

            @Override
            public void toFloats(int from, int count, float[] out, int outOffset) {
                System.arraycopy(values, from * dimension, out, outOffset, count * dimension);
            }
        };
        final AttentionView view = new AttentionView();
        final CausalAttention.ProbabilitySink accumulate = (row, probabilities, visible) -> {
            for (int slot = 0; slot < visible; slot++) {
                scores[slot] += probabilities[slot];
            }
        };

        void add(float[] sourceKeys, int keyOffset, float[] sourceValues, int valueOffset, int position) {
            if (count == positions.length) {
                int capacity = Math.max(16, 2 * count);
                keys = Arrays.copyOf(keys, capacity * dimension);
                values = Arrays.copyOf(values, capacity * dimension);
                positions = Arrays.copyOf(positions, capacity);
                scores = Arrays.copyOf(scores, capacity);
            }
            for (int i = 0; i < dimension; i++) {
                keys[count * dimension + i] = Float.float16ToFloat(Float.floatToFloat16(sourceKeys[keyOffset + i]));
                values[count * dimension + i] =
                        Float.float16ToFloat(Float.floatToFloat16(sourceValues[valueOffset + i]));
            }
            positions[count] = position;
            scores[count++] = 0;
        }

        /** Keeps the {@code recent} newest slots and the {@code heavy} best-scoring others; slots stay in order. */
        void evict(int heavy, int recent) {
            if (count <= heavy + recent) {
                return;
            }
            int older = count - recent;
            Integer[] byScore = new Integer[older];
            for (int slot = 0; slot < older; slot++) {
                byScore[slot] = slot;
            }
            Arrays.sort(byScore, (a, b) -> Double.compare(scores[b], scores[a]) != 0
                    ? Double.compare(scores[b], scores[a]) : Integer.compare(a, b));
            boolean[] keep = new boolean[count];
            for (int i = 0; i < heavy; i++) {
                keep[byScore[i]] = true;
            }
            Arrays.fill(keep, older, count, true);
            int next = 0;
            for (int slot = 0; slot < count; slot++) {
                if (keep[slot]) {
                    System.arraycopy(keys, slot * dimension, keys, next * dimension, dimension);
                    System.arraycopy(values, slot * dimension, values, next * dimension, dimension);
                    positions[next] = positions[slot];
                    scores[next++] = scores[slot];
                }
            }
            count = next;
        }
    }

    @Override
    public void append(int layer, float[] keys, int keysOffset, float[] values, int valuesOffset, int count) {
        int start = reserve(layer, count);
        int width = geometry.kvWidth();
        for (int token = 0; token < count; token++) {
            for (int head = 0; head < geometry.kvHeads(); head++) {
                int within = token * width + head * dimension;
                heads[layer][head].add(keys, keysOffset + within, values, valuesOffset + within,
                        start + token);
            }
        }
    }

    @Override
    public void attend(int layer, int kvHead, AttentionKind kind, float[] queries, int queriesOffset, int rows,
                       int firstPosition, float[] output, int outputOffset) {
        checkOpen();
        HeadSlots slots = heads[layer][kvHead];
        int queryWidth = geometry.queryWidth();
        int newest = firstPosition + rows - 1;
        for (int row = 0; row < rows; row++) {
            // Slots are in position order and the batch's tokens are the last ones, so causality is a prefix.
            int visible = slots.count - (newest - (firstPosition + row));
            attention.attendRow(kvHead, slots.view.clear().add(slots.keyRows, 0, slots.valueRows, 0, slots.count),
                    visible, queries, queriesOffset + row * queryWidth, output, outputOffset + row * queryWidth, row,
                    slots.accumulate);
        }
    }

    @Override
    void afterCommit(int count, AttentionKind kind) {
        if (evicting) {
            evict();
        }
    }

    @Override
    public void endPrefill() {
        checkOpen();
        evicting = true;
        evict();
    }

    private void evict() {
        int heavy = (int) Math.ceil(heavyFraction * committed);
        int recent = Math.max(1, (int) Math.ceil(recentFraction * committed));
        for (HeadSlots[] layer : heads) {
            for (HeadSlots slots : layer) {
                slots.evict(heavy, recent);
            }
        }
    }

    @Override
    void clearStored() {
        for (HeadSlots[] layer : heads) {
            for (HeadSlots slots : layer) {
                slots.count = 0;
            }
        }
        evicting = false;
    }

    @Override
    public KvCacheStats stats() {
        checkOpen();
        long kept = 0;
        for (HeadSlots[] layer : heads) {
            for (HeadSlots slots : layer) {
                kept += slots.count;
            }
        }
        // fp16 keys and values plus a position (int) and a score (float) per kept token and head.
        long bytes = kept * (2L * dimension * Short.BYTES + Integer.BYTES + Float.BYTES);
        long keptPerHead = kept / ((long) geometry.layers() * geometry.kvHeads());
        Map<Integer, Long> perBits = new TreeMap<>();
        perBits.put(16, keptPerHead);
        if (committed - keptPerHead > 0) {
            perBits.put(0, committed - keptPerHead);
        }
        double paper = keptPerHead == 0 ? 1.0 : (double) committed / keptPerHead;
        return new KvCacheStats(committed, bytes, geometry.fp16Bytes(committed), new TreeMap<>(perBits), paper);
    }
}
