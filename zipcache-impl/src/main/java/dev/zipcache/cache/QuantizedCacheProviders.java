package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheProvider;
import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;
import dev.zipcache.spi.SpecOptions;

import java.util.List;
import java.util.Map;

/** The baselines ZipCache is compared with: {@code uniform}, {@code kivi} and {@code h2o}. */
public final class QuantizedCacheProviders {

    private QuantizedCacheProviders() {
    }

    private static KvQuantizer quantizer(String name) {
        return Providers.quantizers().find(name);
    }

    private static SpecOptions quantizerOptions(String name, Map<String, String> values) {
        return Providers.quantizers().resolve(new Spec(name, values));
    }

    /** {@code uniform:bits=B}: tokenwise per (token, KV head), every token quantized as it is written. */
    public static final class Uniform implements KvCacheProvider {
        @Override
        public String name() {
            return "uniform";
        }

        @Override
        public String description() {
            return "every token quantized tokenwise per (token, KV head) as it is written, the newest too";
        }

        @Override
        public List<OptionDescriptor> options() {
            return List.of(new OptionDescriptor("bits", "4", "bits per code (2, 3, 4 or 8)"));
        }

        @Override
        public KvCache create(KvCacheGeometry geometry, SpecOptions options) {
            return new UniformKvCache(geometry, BufferedKvCache.bits(name(), options, "bits"), quantizer("tokenwise"),
                    quantizerOptions("tokenwise", Map.of()));
        }
    }

    /** {@code kivi:bits=B,group=G,residual=R}: KIVI's per-channel keys and per-token values with an fp16 window. */
    public static final class Kivi implements KvCacheProvider {
        @Override
        public String name() {
            return "kivi";
        }

        @Override
        public String description() {
            return "KIVI: keys per channel over groups of tokens, values per token over channel groups, newest "
                    + "tokens in fp16";
        }

        @Override
        public List<OptionDescriptor> options() {
            return List.of(new OptionDescriptor("bits", "2", "bits per code (2, 3, 4 or 8)"),
                    new OptionDescriptor("group", "32",
                            "tokens per key group; value channel groups are min(group, head dimension)"),
                    new OptionDescriptor("residual", "32",
                            "newest tokens kept in fp16 (a multiple of group)"),
                    new OptionDescriptor("timing", "after-attention",
                            "when a decoded token's window is quantized: after-attention (KIVI's code) or "
                                    + "before-attention"));
        }

        @Override
        public KvCache create(KvCacheGeometry geometry, SpecOptions options) {
            int bits = BufferedKvCache.bits(name(), options, "bits");
            int group = options.integer("group", 1, 1 << 16);
            int residual = options.integer("residual", group, 1 << 20);
            if (residual % group != 0) {
                throw new IllegalArgumentException("kivi: option 'residual' (" + residual
                        + ") must be a multiple of 'group' (" + group + ")");
            }
            int valueGroup = Math.min(group, geometry.headDimension());
            boolean beforeAttention = switch (options.string("timing")) {
                case "after-attention" -> false;
                case "before-attention" -> true;
                default -> throw new IllegalArgumentException("kivi: option 'timing' must be after-attention or "
                        + "before-attention, got '" + options.string("timing") + "'");
            };
            return new KiviKvCache(geometry, bits, group, residual, quantizer("channelwise"),
                    quantizerOptions("channelwise", Map.of()), quantizer("groupwise"),
                    quantizerOptions("groupwise", Map.of("group", String.valueOf(valueGroup))), valueGroup,
                    beforeAttention);
        }
    }

    /** {@code h2o:heavy=F,recent=F}: H2O's heavy hitters plus recent tokens, the rest evicted. */
    public static final class H2o implements KvCacheProvider {
        @Override
        public String name() {
            return "h2o";
        }

        @Override
        public String description() {
            return "H2O: keeps heavy hitters (accumulated attention) and recent tokens in fp16, evicts the rest";
        }

        @Override
        public List<OptionDescriptor> options() {
            return List.of(new OptionDescriptor("heavy", "0.1", "fraction of the sequence kept as heavy hitters"),
                    new OptionDescriptor("recent", "0.1", "fraction of the sequence kept as the newest tokens"));
        }

        @Override
        public KvCache create(KvCacheGeometry geometry, SpecOptions options) {
            return new H2oKvCache(geometry, options.decimal("heavy", 0, 1), options.decimal("recent", 0, 1));
        }
    }
}
