package dev.zipcache.spi;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry finds providers through ServiceLoader (a test-only provider is registered in this module's test
 * {@code META-INF/services}, as a third-party jar would) and checks spec options against what they document.
 */
class ProvidersTest {

    @Test
    void findsAProviderRegisteredOnlyThroughMetaInfServices() {
        Providers<KvCacheProvider> caches = Providers.kvCaches();
        assertThat(caches.all()).extracting(NamedProvider::name).contains("test-null");
        KvCache cache = Providers.createCache("test-null:tokens=7", new KvCacheGeometry(1, 1, 1, 4, 16));
        assertThat(cache.length()).isEqualTo(7);
    }

    @Test
    void unknownNamesAndKeysListWhatExists() {
        Providers<KvCacheProvider> caches = Providers.kvCaches();
        assertThatThrownBy(() -> caches.find("nope")).hasMessageStartingWith("unknown KV cache 'nope'; available: ")
                .hasMessageContaining("test-null");
        assertThatThrownBy(() -> caches.resolve(Spec.parse("test-null:bits=2")))
                .hasMessage("KV cache 'test-null' has no option 'bits'; its options: tokens");
    }

    @Test
    void resolvedOptionsLayTheSpecOverTheDefaults() {
        SpecOptions options = Providers.kvCaches().resolve(Spec.parse("test-null"));
        assertThat(options.values()).containsEntry("tokens", "0");
    }

    /** A stand-in third-party cache: stores nothing and reports a fixed length. */
    public static final class NullCacheProvider implements KvCacheProvider {
        @Override
        public String name() {
            return "test-null";
        }

        @Override
        public String description() {
            return "test provider";
        }

        @Override
        public List<OptionDescriptor> options() {
            return List.of(new OptionDescriptor("tokens", "0", "length to report"));
        }

        @Override
        public KvCache create(KvCacheGeometry geometry, SpecOptions options) {
            int tokens = options.integer("tokens", 0, geometry.maxTokens());
            return new KvCache() {
                public KvCacheGeometry geometry() {
                    return geometry;
                }

                public int length() {
                    return tokens;
                }

                public void append(int layer, float[] keys, int keysOffset, float[] values, int valuesOffset,
                                   int count) {
                }

                public void attend(int layer, int kvHead, AttentionKind kind, float[] queries, int queriesOffset,
                                   int rows, int firstPosition, float[] output, int outputOffset) {
                }

                public void commit(int count, AttentionKind kind) {
                }

                public boolean truncate(int length) {
                    return false;
                }

                public KvCacheStats stats() {
                    return KvCacheStats.uniform(tokens, 0, 0, 16);
                }

                public void close() {
                }
            };
        }
    }
}
