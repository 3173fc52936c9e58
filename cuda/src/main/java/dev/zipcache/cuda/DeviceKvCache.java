package dev.zipcache.cuda;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;

/**
 * What the KV caches in device memory share: their geometry, their length and its bound, and the SPI's host-array
 * {@link #append} and {@link #attend}, which they do not offer, since their tensors never leave the GPU:
 * {@link CudaForwardPass} writes and reads them with kernels.
 */
abstract class DeviceKvCache implements KvCache {

    final KvCacheGeometry geometry;
    /** Committed tokens. */
    int length;
    private final String spec;

    /** @param spec the cache's name in messages: {@code fp16}, {@code kivi}, {@code zipcache} */
    DeviceKvCache(String spec, KvCacheGeometry geometry) {
        this.spec = spec;
        this.geometry = geometry;
    }

    @Override
    public final KvCacheGeometry geometry() {
        return geometry;
    }

    @Override
    public final int length() {
        return length;
    }

    /**
     * Checks that {@code count} more tokens fit.
     *
     * @throws IllegalStateException when they would exceed the geometry's tokens
     */
    final void checkRoom(int count) {
        if (length + count > geometry.maxTokens()) {
            throw new IllegalStateException("the KV cache holds at most " + geometry.maxTokens() + " tokens; "
                    + length + " + " + count + " do not fit");
        }
    }

    @Override
    public final void append(int layer, float[] keys, int keysOffset, float[] values, int valuesOffset, int count) {
        throw new UnsupportedOperationException("the CUDA " + spec + " cache lives in device memory; only the CUDA "
                + "forward pass appends to it");
    }

    @Override
    public final void attend(int layer, int kvHead, AttentionKind kind, float[] queries, int queriesOffset, int rows,
                             int firstPosition, float[] output, int outputOffset) {
        throw new UnsupportedOperationException("the CUDA " + spec + " cache lives in device memory; only the CUDA "
                + "forward pass attends over it");
    }
}
