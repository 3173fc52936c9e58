package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.QuantizedBlock;
import dev.zipcache.spi.SaliencyPolicy;
import dev.zipcache.spi.SaliencyScorer;
import dev.zipcache.spi.Spec;
import dev.zipcache.spi.SpecOptions;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A third party adds a saliency policy and a quantizer by dropping classes on the class path with
 * {@code META-INF/services} entries (this module's test resources), and selects them by name in a cache spec.
 */
class PluginProvidersTest {

    static final AtomicInteger POLICY_USES = new AtomicInteger();
    static final AtomicInteger QUANTIZER_USES = new AtomicInteger();

    /** Scores every token by its age: the oldest are salient (the opposite of {@code recent}). */
    public static final class OldestFirstPolicy implements SaliencyPolicy {
        @Override
        public String name() {
            return "test-oldest";
        }

        @Override
        public String description() {
            return "test plug-in";
        }

        @Override
        public List<OptionDescriptor> options() {
            return List.of();
        }

        @Override
        public SaliencyScorer scorer(ScoringRequest request, KvCacheGeometry geometry, SpecOptions options) {
            POLICY_USES.incrementAndGet();
            return new SaliencyScorer() {
                public int[] rows() {
                    return new int[0];
                }

                public void observe(int kvHead, int row, float[] probabilities) {
                }

                public void scores(int kvHead, float[] out) {
                    for (int i = 0; i < out.length; i++) {
                        out[i] = -i;
                    }
                }
            };
        }
    }

    /** Delegates to the built-in tokenwise scheme, counting its uses. */
    public static final class CountingQuantizer implements KvQuantizer {
        @Override
        public String name() {
            return "test-counting";
        }

        @Override
        public String description() {
            return "test plug-in";
        }

        @Override
        public List<OptionDescriptor> options() {
            return List.of();
        }

        @Override
        public QuantizedBlock quantize(float[] values, int offset, int rows, int width, int bits,
                                       float[] channelScales, SpecOptions options) {
            QUANTIZER_USES.incrementAndGet();
            Providers<KvQuantizer> quantizers = Providers.quantizers();
            return quantizers.find("tokenwise").quantize(values, offset, rows, width, bits, channelScales,
                    quantizers.resolve(Spec.parse("tokenwise")));
        }
    }

    @Test
    void pluginsAreFoundByNameAndUsedByTheCache() {
        assertThat(Providers.saliencyPolicies().find("test-oldest")).isInstanceOf(OldestFirstPolicy.class);
        assertThat(Providers.quantizers().find("test-counting")).isInstanceOf(CountingQuantizer.class);
        KvCacheGeometry geometry = new KvCacheGeometry(1, 1, 1, 8, 64);
        try (KvCache cache = Providers.createCache("zipcache:saliency=test-oldest,key-mode=test-counting",
                geometry)) {
            float[] vectors = new float[20 * 8];
            for (int i = 0; i < vectors.length; i++) {
                vectors[i] = (float) Math.sin(i);
            }
            cache.append(0, vectors, 0, vectors, 0, 20);
            cache.attend(0, 0, KvCache.AttentionKind.PREFILL, vectors, 0, 20, 0, new float[vectors.length], 0);
            cache.commit(20, KvCache.AttentionKind.PREFILL);
            cache.endPrefill();
            assertThat(POLICY_USES.get()).isEqualTo(1);
            assertThat(QUANTIZER_USES.get()).isEqualTo(2); // salient and regular key groups
            assertThat(cache.stats().tokensPerBitWidth()).containsEntry(4, 12L).containsEntry(2, 8L);
        }
    }
}
