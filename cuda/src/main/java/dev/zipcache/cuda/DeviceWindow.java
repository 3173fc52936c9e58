package dev.zipcache.cuda;

import dev.zipcache.spi.KvCacheGeometry;

/**
 * The full-precision tokens of a compressed device cache: per layer, keys and values as fp16 rings
 * {@code half[kvHeads][capacity][headDimension]}, position {@code p} in slot {@code p mod capacity}. Slots follow
 * positions, so quantizing the oldest tokens moves nothing; the ring only has to hold the positions not yet
 * quantized. It grows for a prompt (which stays in full precision until it ends) and shrinks back afterwards, moving
 * the held positions with a kernel.
 */
final class DeviceWindow implements AutoCloseable {

    /** Slots beyond what a window must hold after a prompt: a decode step needs one more, a few more spare resizes. */
    static final int SLACK = 8;

    private final Device device;
    private final KvCacheGeometry geometry;
    private int capacity;
    private DevicePointer keys;
    private DevicePointer values;

    DeviceWindow(Device device, KvCacheGeometry geometry, int capacity) {
        this.device = device;
        this.geometry = geometry;
        this.capacity = capacity;
        this.keys = device.allocate(bytes(capacity));
        try {
            this.values = device.allocate(bytes(capacity));
        } catch (RuntimeException failure) {
            device.free(keys);
            throw failure;
        }
    }

    /** Slots per layer and KV head. */
    int capacity() {
        return capacity;
    }

    /** Layer {@code layer}'s key ring. */
    DevicePointer keys(int layer) {
        return keys.plus(layer * layerBytes(capacity));
    }

    /** Layer {@code layer}'s value ring. */
    DevicePointer values(int layer) {
        return values.plus(layer * layerBytes(capacity));
    }

    /** Bytes of device memory the rings hold. */
    long allocatedBytes() {
        return 2 * bytes(capacity);
    }

    /**
     * Makes room for {@code count} more positions after {@code length}, every one from {@code oldest} on still held:
     * grows by half at least, so that a prompt arriving in batches moves its tokens a few times only.
     */
    void holdFor(int oldest, int length, int count) {
        int needed = length + count - oldest;
        if (needed > capacity) {
            int grown = Math.max(needed, capacity + capacity / 2);
            resize(Math.min(grown, geometry.maxTokens()), oldest, length - oldest);
        }
    }

    /**
     * After a prompt: shrinks a window grown for it back to what decoding needs, {@code decodeSlots} positions (or
     * the held ones) plus {@link #SLACK}, when it holds more than twice that.
     */
    void shrinkAfterPrompt(int oldest, int length, int decodeSlots) {
        int held = length - oldest;
        int target = Math.min(geometry.maxTokens(), Math.max(held, decodeSlots) + SLACK);
        if (capacity > 2 * target) {
            resize(target, oldest, held);
        }
    }

    /**
     * Changes the capacity to {@code newCapacity}, keeping positions {@code firstPosition..} ({@code count} of them,
     * at most the new capacity).
     */
    void resize(int newCapacity, int firstPosition, int count) {
        if (count > newCapacity) {
            throw new IllegalArgumentException(count + " held tokens do not fit a window of " + newCapacity);
        }
        DevicePointer newKeys = device.allocate(bytes(newCapacity));
        DevicePointer newValues;
        try {
            newValues = device.allocate(bytes(newCapacity));
        } catch (RuntimeException failure) {
            device.free(newKeys);
            throw failure;
        }
        if (count > 0) {
            for (int layer = 0; layer < geometry.layers(); layer++) {
                device.launch(KernelLaunches.windowMove(keys(layer), values(layer), capacity,
                        newKeys.plus(layer * layerBytes(newCapacity)), newValues.plus(layer * layerBytes(newCapacity)),
                        newCapacity, geometry.kvHeads(), geometry.headDimension(), firstPosition, count));
            }
        }
        // Freed after the queued moves: every launch is on one stream, and cuMemFree synchronizes with the device.
        device.free(keys);
        device.free(values);
        keys = newKeys;
        values = newValues;
        capacity = newCapacity;
    }

    private long layerBytes(int slots) {
        return (long) geometry.kvHeads() * slots * geometry.headDimension() * Short.BYTES;
    }

    private long bytes(int slots) {
        return layerBytes(slots) * geometry.layers();
    }

    @Override
    public void close() {
        if (keys != null) {
            device.free(keys);
            device.free(values);
            keys = null;
            values = null;
        }
    }
}
