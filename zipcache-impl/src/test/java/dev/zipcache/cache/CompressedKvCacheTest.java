package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCache.AttentionKind;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheStats;
import dev.zipcache.spi.Providers;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The compressed caches driven as the engine drives them (prefill batch, endPrefill, decode steps): what they hold
 * at each point, how their attention compares with exact attention, and their byte accounting.
 */
class CompressedKvCacheTest {

    private static final KvCacheGeometry GEOMETRY = new KvCacheGeometry(2, 2, 4, 16, 400);

    /** Drives a cache and an fp32 reference side by side; returns the largest output difference seen. */
    private static final class Driver {
        final KvCache cache;
        final KvCache exact;
        final Random random = new Random(11);
        final KvCacheGeometry geometry;
        double worst;

        Driver(String spec, KvCacheGeometry geometry) {
            this.geometry = geometry;
            this.cache = Providers.createCache(spec, geometry);
            this.exact = Providers.createCache("fp32", geometry);
        }

        void step(int rows, AttentionKind kind) {
            float[] queries = gaussian(rows * geometry.queryWidth());
            float[] keys = gaussian(rows * geometry.kvWidth());
            float[] values = gaussian(rows * geometry.kvWidth());
            int position = cache.length();
            for (int layer = 0; layer < geometry.layers(); layer++) {
                float[] out = new float[queries.length];
                float[] reference = new float[queries.length];
                cache.append(layer, keys, 0, values, 0, rows);
                exact.append(layer, keys, 0, values, 0, rows);
                for (int head = 0; head < geometry.kvHeads(); head++) {
                    cache.attend(layer, head, kind, queries, 0, rows, position, out, 0);
                    exact.attend(layer, head, kind, queries, 0, rows, position, reference, 0);
                }
                for (int i = 0; i < out.length; i++) {
                    worst = Math.max(worst, Math.abs(out[i] - reference[i]));
                }
            }
            cache.commit(rows, kind);
            exact.commit(rows, kind);
            if (kind == AttentionKind.PREFILL) {
                cache.endPrefill();
                exact.endPrefill();
            }
        }

        float[] gaussian(int count) {
            float[] values = new float[count];
            for (int i = 0; i < count; i++) {
                values[i] = (float) random.nextGaussian();
            }
            return values;
        }
    }

    @Test
    void zipcacheSplitsThePromptAndStreamsDecodedTokensThroughItsBuffer() {
        Driver driver = new Driver("zipcache", GEOMETRY);
        driver.step(100, AttentionKind.PREFILL);
        assertThat(driver.worst).as("prefill attention is exact").isLessThan(1e-2);
        KvCacheStats afterPrompt = driver.cache.stats();
        // floor(0.4 · 100) = 40 regular tokens at 2 bits, 60 salient at 4, none buffered.
        assertThat(afterPrompt.tokensPerBitWidth()).isEqualTo(Map.of(2, 40L, 4, 60L));
        for (int step = 1; step < 100; step++) {
            driver.step(1, AttentionKind.DECODE);
        }
        assertThat(driver.cache.stats().tokensPerBitWidth()).containsEntry(16, 99L);
        driver.step(1, AttentionKind.DECODE);
        // Step 100 re-compresses everything: floor(0.4 · 100) of the new tokens join the regular group.
        assertThat(driver.cache.stats().tokensPerBitWidth()).isEqualTo(Map.of(2, 80L, 4, 120L));
        assertThat(driver.cache.stats().tokens()).isEqualTo(200);
    }

    /**
     * A prompt announced with beginPrefill keeps only the queries of the policy's probe rows (5% recent + 5% random by
     * default: at most 20 of 200 here, instead of 200), sizes its buffers once, and ends in the very same cache: the
     * prompt in two batches gives bit-equal attention and the same split with and without the announcement, and decode
     * steps through a re-compression agree within float noise.
     */
    @Test
    void anAnnouncedPromptKeepsOnlyItsProbeRowsQueriesAndScoresTheSame() {
        KvCacheGeometry geometry = new KvCacheGeometry(2, 2, 4, 16, 400);
        MixedPrecisionKvCache announced = (MixedPrecisionKvCache) Providers.createCache("zipcache", geometry);
        KvCache unannounced = Providers.createCache("zipcache", geometry);
        Random random = new Random(4);
        announced.beginPrefill(200);
        for (int layer = 0; layer < geometry.layers(); layer++) {
            // Sized once, before the first batch, for the whole prompt (not grown batch by batch).
            assertThat(announced.bufferCapacity(layer)).isEqualTo(200);
        }
        int[] batches = {120, 80};
        for (int batch : batches) {
            float[][] inputs = randomStep(random, geometry, batch);
            float[] a = runStep(announced, geometry, inputs, batch, AttentionKind.PREFILL);
            float[] b = runStep(unannounced, geometry, inputs, batch, AttentionKind.PREFILL);
            assertThat(a).isEqualTo(b);
        }
        for (int layer = 0; layer < geometry.layers(); layer++) {
            assertThat(announced.keptQueryRows(layer)).isBetween(1, 20);
            assertThat(announced.bufferCapacity(layer)).isEqualTo(200);
        }
        announced.endPrefill();
        unannounced.endPrefill();
        assertThat(announced.stats()).isEqualTo(unannounced.stats());
        // Within float noise rather than bit for bit: C2 may compile a kernel between the two caches' calls, and its
        // lane reductions add in another order than the interpreter's (README, REST service: reproducibility).
        for (int step = 0; step < 105; step++) {
            float[][] inputs = randomStep(random, geometry, 1);
            float[] a = runStep(announced, geometry, inputs, 1, AttentionKind.DECODE);
            float[] b = runStep(unannounced, geometry, inputs, 1, AttentionKind.DECODE);
            for (int i = 0; i < a.length; i++) {
                assertThat(a[i]).as("decode step %d, output %d", step, i).isCloseTo(b[i], within(1e-5f));
            }
        }
        assertThat(announced.stats()).isEqualTo(unannounced.stats());
    }

    @Test
    void aPromptShorterThanAnnouncedIsAClearError() {
        KvCache cache = Providers.createCache("zipcache", GEOMETRY);
        cache.beginPrefill(50);
        runStep(cache, GEOMETRY, randomStep(new Random(1), GEOMETRY, 40), 40, AttentionKind.PREFILL);
        assertThatThrownBy(cache::endPrefill).isInstanceOf(IllegalStateException.class)
                .hasMessage("a prompt ending at position 50 was announced, but it ended at 40");
        // The cache is still usable: start over.
        assertThat(cache.truncate(0)).isTrue();
        runStep(cache, GEOMETRY, randomStep(new Random(2), GEOMETRY, 10), 10, AttentionKind.PREFILL);
        cache.endPrefill();
        assertThat(cache.length()).isEqualTo(10);
    }

    /** Queries, keys and values for {@code rows} tokens. */
    private static float[][] randomStep(Random random, KvCacheGeometry geometry, int rows) {
        float[][] inputs = {new float[rows * geometry.queryWidth()], new float[rows * geometry.kvWidth()],
                new float[rows * geometry.kvWidth()]};
        for (float[] input : inputs) {
            for (int i = 0; i < input.length; i++) {
                input[i] = (float) random.nextGaussian();
            }
        }
        return inputs;
    }

    /** Appends, attends and commits one step in every layer; returns every layer's outputs, concatenated. */
    private static float[] runStep(KvCache cache, KvCacheGeometry geometry, float[][] inputs, int rows,
                                   AttentionKind kind) {
        int position = cache.length();
        int width = rows * geometry.queryWidth();
        float[] out = new float[geometry.layers() * width];
        for (int layer = 0; layer < geometry.layers(); layer++) {
            cache.append(layer, inputs[1], 0, inputs[2], 0, rows);
            for (int head = 0; head < geometry.kvHeads(); head++) {
                cache.attend(layer, head, kind, inputs[0], 0, rows, position, out, layer * width);
            }
        }
        cache.commit(rows, kind);
        return out;
    }

    @Test
    void zipcacheAtEightBitsIsCloseToExactAttention() {
        Driver driver = new Driver("zipcache:high-bits=8,low-bits=8", GEOMETRY);
        driver.step(60, AttentionKind.PREFILL);
        for (int step = 0; step < 30; step++) {
            driver.step(1, AttentionKind.DECODE);
        }
        // 8-bit codes: each element off by ≤ step/2 ≈ range/510; outputs are averages of such values.
        assertThat(driver.worst).isLessThan(0.05);
        Driver twoBit = new Driver("zipcache:high-bits=2,low-bits=2", GEOMETRY);
        twoBit.step(60, AttentionKind.PREFILL);
        for (int step = 0; step < 30; step++) {
            twoBit.step(1, AttentionKind.DECODE);
        }
        assertThat(twoBit.worst).isGreaterThan(driver.worst);
    }

    @Test
    void zipcacheReachesThePaperRatioAtALlama3LikeGeometry() {
        // Llama-3-8B per layer: 8 KV heads of 128 (32 query heads); two layers suffice, the ratio is per layer.
        KvCacheGeometry llama3 = new KvCacheGeometry(2, 8, 32, 128, 1024);
        Driver driver = new Driver("zipcache", llama3);
        driver.step(840, AttentionKind.PREFILL);
        KvCacheStats stats = driver.cache.stats();
        assertThat(stats.compressionRatio()).isGreaterThanOrEqualTo(4.85);
        // §8 with hd = 1024, l = 840, b = 1: 2·l·hd·16 / (2·l·hd·3.2 + 16·(5·hd + 2·l)).
        double expected = 2.0 * 840 * 1024 * 16 / (2.0 * 840 * 1024 * 3.2 + 16 * (5 * 1024 + 2 * 840));
        assertThat(stats.paperRatio()).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void paperRatioFormulaReproducesThePapersFigures() {
        // ZIPCACHE.md §13 vector 5: hd = 4096, l = 840, b = 8, 4/2 bits.
        assertThat(MixedPrecisionKvCache.paperRatio(0.6, 4, 2, 4096, 840, 8))
                .isCloseTo(4.985, org.assertj.core.data.Offset.offset(5e-4));
        assertThat(MixedPrecisionKvCache.paperRatio(0.7, 4, 2, 4096, 840, 8))
                .isCloseTo(4.692, org.assertj.core.data.Offset.offset(5e-4));
    }

    /** The primitive-key sort that splits a group gives the order of a plain comparator sort (ties, ±0, NaN). */
    @Test
    void tokensSortByScoreThenPosition() {
        Random random = new Random(8);
        float[] pool = {-0f, 0f, Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, -1.5f, 1.5f, 1e-40f,
                -1e-40f, 3f};
        for (int trial = 0; trial < 50; trial++) {
            int tokens = 1 + random.nextInt(300);
            float[] scores = new float[tokens];
            for (int i = 0; i < tokens; i++) {
                scores[i] = random.nextBoolean() ? pool[random.nextInt(pool.length)] : (float) random.nextGaussian();
            }
            int[] expected = java.util.stream.IntStream.range(0, tokens).boxed()
                    .sorted(java.util.Comparator.comparingDouble((Integer token) -> scores[token])
                            .thenComparingInt(token -> token))
                    .mapToInt(Integer::intValue).toArray();
            assertThat(MixedPrecisionKvCache.byScoreThenPosition(scores, tokens)).isEqualTo(expected);
        }
    }

    @Test
    void kiviKeepsItsResidualWindowsInFp16() {
        Driver driver = new Driver("kivi:bits=2,group=32,residual=32", GEOMETRY);
        driver.step(70, AttentionKind.PREFILL);
        // Keys: 64 of 70 quantized (two groups of 32); values: all but the newest 32, i.e. 38.
        // Per layer that is (64 + 38) / 2 = 51 tokens counted at 2 bits.
        assertThat(driver.cache.stats().tokensPerBitWidth()).containsEntry(2, 51L);
        for (int step = 0; step < 26; step++) {
            driver.step(1, AttentionKind.DECODE);
        }
        // 96 tokens: keys 96 quantized (the window filled at 32), values 64.
        assertThat(driver.cache.stats().tokensPerBitWidth()).containsEntry(2, 80L);
    }

    @Test
    void uniformQuantizesTheNewestTokenBeforeItIsAttended() {
        Driver driver = new Driver("uniform:bits=8", GEOMETRY);
        driver.step(20, AttentionKind.PREFILL);
        driver.step(1, AttentionKind.DECODE);
        assertThat(driver.cache.stats().tokensPerBitWidth()).isEqualTo(Map.of(8, 21L));
        // 8 bits per code plus fp16 (min, step) per (token, head): 2 · 21 · 2 heads · (16 + 4) bytes per layer.
        assertThat(driver.cache.stats().bytes()).isEqualTo(2L * 2 * 21 * 2 * (16 + 4));
        assertThat(driver.worst).isGreaterThan(0).isLessThan(0.05);
    }

    @Test
    void h2oEvictsAllButHeavyHittersAndRecentTokens() {
        Driver driver = new Driver("h2o:heavy=0.1,recent=0.1", GEOMETRY);
        driver.step(100, AttentionKind.PREFILL);
        KvCacheStats stats = driver.cache.stats();
        assertThat(stats.tokensPerBitWidth()).containsEntry(16, 20L).containsEntry(0, 80L);
        assertThat(stats.paperRatio()).isEqualTo(5.0);
        driver.step(1, AttentionKind.DECODE);
        assertThat(driver.cache.stats().tokensPerBitWidth().get(16)).isBetween(20L, 22L);
    }

    @Test
    void compressedCachesRefuseToDropCompressedTokensButCanReset() {
        KvCache cache = Providers.createCache("zipcache", GEOMETRY);
        Driver driver = new Driver("zipcache", GEOMETRY);
        driver.step(40, AttentionKind.PREFILL);
        driver.step(1, AttentionKind.DECODE);
        driver.step(1, AttentionKind.DECODE);
        assertThat(driver.cache.truncate(41)).isTrue(); // the newest token was still in the buffer
        assertThat(driver.cache.length()).isEqualTo(41);
        assertThat(driver.cache.truncate(20)).isFalse();
        assertThat(driver.cache.length()).isEqualTo(41);
        assertThat(driver.cache.truncate(0)).isTrue();
        assertThat(driver.cache.length()).isZero();
        cache.close();
    }

    @Test
    void badOptionsAreClearErrors() {
        assertThatThrownBy(() -> Providers.createCache("zipcache:high-bits=7", GEOMETRY))
                .hasMessageContaining("'high-bits' must be 2, 3, 4 or 8, got 7");
        assertThatThrownBy(() -> Providers.createCache("zipcache:salient-ratio=1.5", GEOMETRY))
                .hasMessageContaining("'salient-ratio' must be a number in [0.0, 1.0], got '1.5'");
        assertThatThrownBy(() -> Providers.createCache("zipcache:saliency=oracle", GEOMETRY))
                .hasMessageContaining("unknown saliency policy 'oracle'");
        assertThatThrownBy(() -> Providers.createCache("kivi:group=32,residual=48", GEOMETRY))
                .hasMessageContaining("multiple of 'group'");
        assertThatThrownBy(() -> Providers.createCache("uniform:bits=5", GEOMETRY))
                .hasMessageContaining("must be 2, 3, 4 or 8");
    }
}
