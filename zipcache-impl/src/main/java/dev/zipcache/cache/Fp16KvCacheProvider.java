package dev.zipcache.cache;

/** {@code fp16}: keys and values rounded to half precision, the reference size of every compression ratio. */
public final class Fp16KvCacheProvider extends DenseKvCacheProvider {

    public Fp16KvCacheProvider() {
        super("fp16", "uncompressed half-precision keys and values (the baseline; compression ratio 1)",
                DenseKvCache.Precision.FP16);
    }
}
