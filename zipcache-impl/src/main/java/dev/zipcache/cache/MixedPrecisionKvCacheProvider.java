package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheProvider;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.SpecOptions;

import java.util.List;

/** The mixed-precision caches: ZipCache itself and MiKV, the same storage with other defaults. */
public abstract sealed class MixedPrecisionKvCacheProvider implements KvCacheProvider {

    private final String name;
    private final String description;
    private final List<OptionDescriptor> options;

    MixedPrecisionKvCacheProvider(String name, String description, String saliency, String valueMode) {
        this.name = name;
        this.description = description;
        this.options = MixedPrecisionConfig.options(saliency, valueMode);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String description() {
        return description;
    }

    @Override
    public List<OptionDescriptor> options() {
        return options;
    }

    @Override
    public KvCache create(KvCacheGeometry geometry, SpecOptions options) {
        return new MixedPrecisionKvCache(geometry, MixedPrecisionConfig.from(name, options));
    }

    /** {@code zipcache}: probe-estimated normalized attention, channelwise keys, CST values (the paper's method). */
    public static final class ZipCache extends MixedPrecisionKvCacheProvider {
        public ZipCache() {
            super("zipcache", "ZipCache: 60% salient tokens (probe-estimated normalized attention) at 4 bits, the rest "
                    + "at 2; channelwise keys, CST values; ~5x smaller than fp16", "probe", "cst");
        }
    }

    /** {@code mikv}: MiKV's mixed precision, chosen by H2O's accumulated attention, tokenwise values. */
    public static final class MiKv extends MixedPrecisionKvCacheProvider {
        public MiKv() {
            super("mikv", "MiKV: mixed precision by accumulated (H2O) attention over every row, tokenwise values",
                    "accumulated", "tokenwise");
        }
    }
}
