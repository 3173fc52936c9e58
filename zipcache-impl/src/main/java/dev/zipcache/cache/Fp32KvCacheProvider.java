package dev.zipcache.cache;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheProvider;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.SpecOptions;

import java.util.List;

/** {@code fp32}: keys and values in float32, exactly as the forward pass computes them. */
public final class Fp32KvCacheProvider implements KvCacheProvider {

    @Override
    public String name() {
        return "fp32";
    }

    @Override
    public String description() {
        return "uncompressed float32 keys and values (exact; twice the size of fp16)";
    }

    @Override
    public List<OptionDescriptor> options() {
        return List.of();
    }

    @Override
    public KvCache create(KvCacheGeometry geometry, SpecOptions options) {
        return new Fp32KvCache(geometry);
    }
}
