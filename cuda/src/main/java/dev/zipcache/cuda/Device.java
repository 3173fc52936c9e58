package dev.zipcache.cuda;

import java.nio.ByteBuffer;

/**
 * What the CUDA backend needs from a GPU: memory, copies and kernel launches on one stream, in order. The real one is
 * {@link JCudaDevice}; tests run the same host code against devices that record or emulate.
 */
interface Device extends AutoCloseable {

    /** A one-line description (GPU name, memory). */
    String description();

    /** Allocates {@code bytes} of device memory (uninitialized). */
    DevicePointer allocate(long bytes);

    /** Frees an allocation returned by {@link #allocate}. */
    void free(DevicePointer allocation);

    /** Copies the remaining bytes of {@code source} to {@code target}. */
    void upload(DevicePointer target, ByteBuffer source);

    /** Copies {@code count} floats from {@code source[0..]} to {@code target}. */
    void upload(DevicePointer target, float[] source, int count);

    /** Copies {@code count} ints from {@code source[0..]} to {@code target}. */
    void upload(DevicePointer target, int[] source, int count);

    /** Copies {@code count} floats from {@code source} into {@code target[targetOffset..]}, after all launches. */
    void download(DevicePointer source, float[] target, int targetOffset, int count);

    /** Queues a kernel launch. */
    void launch(Launch launch);

    /** Bytes of device memory in use on the whole GPU (by every process), or -1 when unknown. */
    long usedMemory();

    @Override
    void close();
}
