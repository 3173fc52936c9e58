package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheProvider;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.SpecOptions;

import java.util.List;

/** The uncompressed caches: one provider per precision, each a named ServiceLoader entry. */
abstract sealed class DenseKvCacheProvider implements KvCacheProvider
        permits Fp32KvCacheProvider, Fp16KvCacheProvider {

    private final String name;
    private final String description;
    private final DenseKvCache.Precision precision;

    DenseKvCacheProvider(String name, String description, DenseKvCache.Precision precision) {
        this.name = name;
        this.description = description;
        this.precision = precision;
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
        return List.of();
    }

    @Override
    public KvCache create(KvCacheGeometry geometry, SpecOptions options) {
        return new DenseKvCache(geometry, precision);
    }
}
