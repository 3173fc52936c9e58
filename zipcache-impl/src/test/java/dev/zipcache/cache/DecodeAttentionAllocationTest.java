package dev.zipcache.cache;

import dev.zipcache.quantize.AllocationMeter;
import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCache.AttentionKind;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A decode step's attention allocates nothing once compiled, over each cache's stores (fp16 halves, packed codes of
 * both precision groups, the full-precision buffer): softmax, exponentials and the GQA group kernels included.
 * Measured with {@link AllocationMeter}; zipcache-impl's pom runs it again under
 * {@code -XX:-UseTypeProfile} (see {@code QuantizedVectors}).
 */
class DecodeAttentionAllocationTest {

    /** Two KV heads of four query heads each, 64-wide heads: the GQA group kernels' shape. */
    private static final KvCacheGeometry GEOMETRY = new KvCacheGeometry(1, 2, 8, 64, 1024);
    /** Prompt tokens: not a multiple of any vector width, so the softmax tails run too. */
    private static final int PROMPT = 517;
    private static final int CALLS = 500;

    @ParameterizedTest
    @ValueSource(strings = {"fp16", "zipcache", "kivi"})
    void decodeAttentionDoesNotAllocateOnceCompiled(String spec) {
        Random random = new Random(3);
        try (KvCache cache = Providers.createCache(spec, GEOMETRY)) {
            float[] keys = gaussian(random, PROMPT * GEOMETRY.kvWidth());
            float[] values = gaussian(random, PROMPT * GEOMETRY.kvWidth());
            float[] queries = gaussian(random, PROMPT * GEOMETRY.queryWidth());
            float[] out = new float[queries.length];
            cache.beginPrefill(PROMPT);
            cache.append(0, keys, 0, values, 0, PROMPT);
            for (int head = 0; head < GEOMETRY.kvHeads(); head++) {
                cache.attend(0, head, AttentionKind.PREFILL, queries, 0, PROMPT, 0, out, 0);
            }
            cache.commit(PROMPT, AttentionKind.PREFILL);
            cache.endPrefill();

            cache.append(0, keys, 0, values, 0, 1);
            long allocated = AllocationMeter.bytesOnceCompiled(() -> {
                for (int call = 0; call < CALLS; call++) {
                    for (int head = 0; head < GEOMETRY.kvHeads(); head++) {
                        cache.attend(0, head, AttentionKind.DECODE, queries, 0, 1, PROMPT, out, 0);
                    }
                }
            });
            for (float value : out) {
                assertThat(value).isFinite();
            }
            assertThat(allocated).as("bytes allocated by %d decode attentions of %s once compiled", CALLS, spec)
                    .isLessThanOrEqualTo(0);
        }
    }

    private static float[] gaussian(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
