package dev.zipcache.cache;

/** {@code fp32}: keys and values in float32, exactly as the forward pass computes them. */
public final class Fp32KvCacheProvider extends DenseKvCacheProvider {

    public Fp32KvCacheProvider() {
        super("fp32", "uncompressed float32 keys and values (exact; twice the size of fp16)",
                DenseKvCache.Precision.FP32);
    }
}
