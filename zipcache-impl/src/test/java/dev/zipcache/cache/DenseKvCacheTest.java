package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCache.AttentionKind;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheStats;
import dev.zipcache.spi.Providers;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * fp32 and fp16 caches against a plain double-precision causal GQA attention, over a prefill batch followed by
 * decode steps, with a head dimension that is not a multiple of any vector length.
 */
class DenseKvCacheTest {

    private static final KvCacheGeometry GEOMETRY = new KvCacheGeometry(2, 2, 6, 19, 300);
    private static final int PREFILL = 260; // crosses the 256-token growth step
    private static final int DECODE = 4;

    /** Everything appended to one layer, kept for the reference computation. */
    private final float[] allKeys = new float[(PREFILL + DECODE) * GEOMETRY.kvWidth()];
    private final float[] allValues = new float[(PREFILL + DECODE) * GEOMETRY.kvWidth()];

    @Test
    void fp32MatchesExactAttention() {
        double worst = run("fp32", 0);
        // float32 accumulation over ≤ 264 terms: a few hundred ulps of outputs of size ~1 at most.
        assertThat(worst).isLessThan(1e-4);
    }

    @Test
    void fp16StaysWithinItsRoundingBound() {
        run("fp16", 1);
    }

    /** Returns the largest error seen; for fp16 asserts the bound derived from half-precision rounding. */
    private double run(String spec, int seedOffset) {
        Random random = new Random(42 + seedOffset);
        double worst = 0;
        try (KvCache cache = Providers.createCache(spec, GEOMETRY)) {
            int position = 0;
            for (int step = 0; step <= DECODE; step++) {
                int rows = step == 0 ? PREFILL : 1;
                AttentionKind kind = step == 0 ? AttentionKind.PREFILL : AttentionKind.DECODE;
                float[] queries = gaussian(random, rows * GEOMETRY.queryWidth());
                float[] keys = gaussian(random, rows * GEOMETRY.kvWidth());
                float[] values = gaussian(random, rows * GEOMETRY.kvWidth());
                System.arraycopy(keys, 0, allKeys, position * GEOMETRY.kvWidth(), keys.length);
                System.arraycopy(values, 0, allValues, position * GEOMETRY.kvWidth(), values.length);
                float[] output = new float[rows * GEOMETRY.queryWidth()];
                for (int layer = 0; layer < GEOMETRY.layers(); layer++) {
                    cache.append(layer, keys, 0, values, 0, rows);
                    for (int kvHead = 0; kvHead < GEOMETRY.kvHeads(); kvHead++) {
                        cache.attend(layer, kvHead, kind, queries, 0, rows, position, output, 0);
                    }
                }
                cache.commit(rows, kind);
                worst = Math.max(worst, compare(spec, queries, rows, position, output));
                position += rows;
            }
            KvCacheStats stats = cache.stats();
            int bits = spec.equals("fp32") ? 32 : 16;
            assertThat(stats.tokens()).isEqualTo(PREFILL + DECODE);
            assertThat(stats.bytes()).isEqualTo((long) (PREFILL + DECODE) * 2 * 2 * GEOMETRY.kvWidth() * bits / 8);
            assertThat(stats.tokensPerBitWidth()).containsEntry(bits, (long) PREFILL + DECODE);
            cache.truncate(10);
            assertThat(cache.length()).isEqualTo(10);
        }
        return worst;
    }

    /**
     * An announced prompt is stored in storage sized once for it plus {@link DenseKvCache#GROWTH_TOKENS} of decode
     * room, and attends exactly as the same prompt unannounced (grown batch by batch); past that room the stores grow
     * by a quarter again, and a prompt too long for the cache reserves nothing and fails on its first append.
     */
    @Test
    void anAnnouncedPromptIsStoredInStorageSizedOnce() {
        KvCacheGeometry geometry = new KvCacheGeometry(2, 2, 6, 19, 3000);
        Random random = new Random(7);
        try (DenseKvCache announced = (DenseKvCache) Providers.createCache("fp16", geometry);
             KvCache unannounced = Providers.createCache("fp16", geometry)) {
            announced.beginPrefill(1000);
            assertThat(announced.capacity()).isEqualTo(1280); // 1,000 + 256, in whole steps of 256
            int position = 0;
            for (int batch : new int[] {300, 300, 400}) {
                float[][] step = {gaussian(random, batch * geometry.queryWidth()),
                        gaussian(random, batch * geometry.kvWidth()), gaussian(random, batch * geometry.kvWidth())};
                float[] a = attendAll(announced, geometry, step, batch, position);
                float[] b = attendAll(unannounced, geometry, step, batch, position);
                assertThat(a).isEqualTo(b);
                assertThat(announced.capacity()).isEqualTo(1280);
                position += batch;
            }
            announced.endPrefill();
            for (; position < 1281; position++) {
                float[][] step = {gaussian(random, geometry.queryWidth()), gaussian(random, geometry.kvWidth()),
                        gaussian(random, geometry.kvWidth())};
                attendAll(announced, geometry, step, 1, position);
            }
            assertThat(announced.capacity()).isEqualTo(1792); // 1,280 + a quarter, rounded up to 256s
            announced.beginPrefill(geometry.maxTokens());
            assertThat(announced.capacity()).isEqualTo(1792);
            float[] keys = gaussian(random, geometry.maxTokens() * geometry.kvWidth());
            assertThatThrownBy(() -> announced.append(0, keys, 0, keys, 0, geometry.maxTokens()))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("KV cache is full");
        }
    }

    /** Appends {@code rows} tokens to every layer, attends every KV head, commits; the outputs of the last layer. */
    private static float[] attendAll(KvCache cache, KvCacheGeometry geometry, float[][] step, int rows, int position) {
        AttentionKind kind = rows > 1 ? AttentionKind.PREFILL : AttentionKind.DECODE;
        float[] output = new float[rows * geometry.queryWidth()];
        for (int layer = 0; layer < geometry.layers(); layer++) {
            cache.append(layer, step[1], 0, step[2], 0, rows);
            for (int kvHead = 0; kvHead < geometry.kvHeads(); kvHead++) {
                cache.attend(layer, kvHead, kind, step[0], 0, rows, position, output, 0);
            }
        }
        cache.commit(rows, kind);
        return output;
    }

    private double compare(String spec, float[] queries, int rows, int firstPosition, float[] output) {
        int d = GEOMETRY.headDimension();
        double worst = 0;
        for (int row = 0; row < rows; row++) {
            int visible = firstPosition + row + 1;
            for (int head = 0; head < GEOMETRY.queryHeads(); head++) {
                int kvHead = head / GEOMETRY.groupSize();
                int q = row * GEOMETRY.queryWidth() + head * d;
                double[] scores = new double[visible];
                double max = Double.NEGATIVE_INFINITY;
                double worstScoreShift = 0; // bound on |score error| from rounding keys to fp16
                double maxAbsValue = 0;
                for (int t = 0; t < visible; t++) {
                    int k = t * GEOMETRY.kvWidth() + kvHead * d;
                    double dot = 0;
                    double magnitude = 0;
                    for (int i = 0; i < d; i++) {
                        dot += (double) queries[q + i] * allKeys[k + i];
                        magnitude += Math.abs((double) queries[q + i] * allKeys[k + i]);
                        maxAbsValue = Math.max(maxAbsValue, Math.abs(allValues[k + i]));
                    }
                    scores[t] = dot / Math.sqrt(d);
                    worstScoreShift = Math.max(worstScoreShift, magnitude / Math.sqrt(d) * 0x1p-11);
                    max = Math.max(max, scores[t]);
                }
                double sum = 0;
                for (int t = 0; t < visible; t++) {
                    scores[t] = Math.exp(scores[t] - max);
                    sum += scores[t];
                }
                for (int i = 0; i < d; i++) {
                    double expected = 0;
                    for (int t = 0; t < visible; t++) {
                        expected += scores[t] / sum * allValues[t * GEOMETRY.kvWidth() + kvHead * d + i];
                    }
                    double error = Math.abs(expected - output[q + i]);
                    worst = Math.max(worst, error);
                    if (spec.equals("fp16")) {
                        // Scores shift by ≤ δ, so each softmax weight changes by a factor within e^{±2δ}; values
                        // are rounded by ≤ 2^-11 relative. Output error ≤ max|v|·(e^{2δ} − 1) + 2^-11·max|v|.
                        double bound = maxAbsValue * (Math.expm1(2 * worstScoreShift) + 0x1p-11) + 1e-5;
                        assertThat(error).as("row %d head %d element %d", row, head, i).isLessThanOrEqualTo(bound);
                    }
                }
            }
        }
        return worst;
    }

    private static float[] gaussian(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    @Test
    void refusesToGrowPastItsMaximumAndToBeUsedAfterClose() {
        KvCacheGeometry tiny = new KvCacheGeometry(1, 1, 1, 4, 3);
        KvCache cache = Providers.createCache("fp16", tiny);
        cache.append(0, new float[12], 0, new float[12], 0, 3);
        cache.commit(3, AttentionKind.PREFILL);
        assertThatThrownBy(() -> cache.append(0, new float[4], 0, new float[4], 0, 1))
                .hasMessageContaining("KV cache is full");
        cache.close();
        assertThatThrownBy(cache::length).isInstanceOf(IllegalStateException.class);
    }
}
