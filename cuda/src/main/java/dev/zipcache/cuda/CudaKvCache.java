package dev.zipcache.cuda;

import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheStats;

/**
 * The {@code fp16} KV cache in device memory: per layer, keys as half[kvHeads][maxTokens][headDimension] and values
 * the same, sized for the whole context at creation. {@link CudaForwardPass} writes and reads it with kernels; the
 * host-array {@link #append} and {@link #attend} of the SPI are not available, since the tensors never leave the GPU.
 * Stats count the committed tokens as the CPU's fp16 cache does.
 */
final class CudaKvCache extends DeviceKvCache {

    /** The cache spec this class implements. */
    static final String SPEC = "fp16";

    private final Device device;
    private final DevicePointer keys;
    private final DevicePointer values;
    private final long layerBytes;
    private boolean closed;

    CudaKvCache(Device device, KvCacheGeometry geometry) {
        super(SPEC, geometry);
        this.device = device;
        this.layerBytes = (long) geometry.kvHeads() * geometry.maxTokens() * geometry.headDimension() * Short.BYTES;
        this.keys = device.allocate(layerBytes * geometry.layers());
        DevicePointer allocatedValues;
        try {
            allocatedValues = device.allocate(layerBytes * geometry.layers());
        } catch (RuntimeException failure) {
            device.free(keys);
            throw failure;
        }
        this.values = allocatedValues;
    }

    Device device() {
        return device;
    }

    /** Layer {@code layer}'s keys. */
    DevicePointer keys(int layer) {
        return keys.plus(layer * layerBytes);
    }

    /** Layer {@code layer}'s values. */
    DevicePointer values(int layer) {
        return values.plus(layer * layerBytes);
    }

    /** Bytes of device memory this cache holds (the whole context's worth). */
    long allocatedBytes() {
        return 2 * layerBytes * geometry.layers();
    }

    @Override
    public void commit(int count, AttentionKind kind) {
        checkRoom(count);
        length += count;
    }

    @Override
    public boolean truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate " + length + " tokens to " + newLength);
        }
        // fp16 entries are stored by position: the ones after newLength are simply overwritten later.
        length = newLength;
        return true;
    }

    @Override
    public KvCacheStats stats() {
        long bytes = geometry.fp16Bytes(length);
        return KvCacheStats.uniform(length, bytes, bytes, 16);
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            device.free(keys);
            device.free(values);
        }
    }
}
