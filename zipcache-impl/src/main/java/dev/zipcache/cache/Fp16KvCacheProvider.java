package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheProvider;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.SpecOptions;

import java.util.List;

/** {@code fp16}: keys and values rounded to half precision, the reference size of every compression ratio. */
public final class Fp16KvCacheProvider implements KvCacheProvider {

    @Override
    public String name() {
        return "fp16";
    }

    @Override
    public String description() {
        return "uncompressed half-precision keys and values (the baseline; compression ratio 1)";
    }

    @Override
    public List<OptionDescriptor> options() {
        return List.of();
    }

    @Override
    public KvCache create(KvCacheGeometry geometry, SpecOptions options) {
        return new Fp16KvCache(geometry);
    }
}
