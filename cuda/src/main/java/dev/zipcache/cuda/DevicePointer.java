package dev.zipcache.cuda;

/**
 * An address in device memory: an allocation of a {@link Device} and a byte offset into it. Kept symbolic (not a raw
 * address) so that the host code can run against a recording or emulating device in tests.
 *
 * @param allocation the allocation's id, 0 for the null pointer
 * @param offset     bytes from the allocation's start
 */
record DevicePointer(long allocation, long offset) {

    /** The null pointer, for kernel arguments that a weight type does not use. */
    static final DevicePointer NULL = new DevicePointer(0, 0);

    DevicePointer {
        if (offset < 0) {
            throw new IllegalArgumentException("negative device offset " + offset);
        }
    }

    /** This pointer moved {@code bytes} further. */
    DevicePointer plus(long bytes) {
        if (allocation == 0) {
            throw new IllegalStateException("offset of the null device pointer");
        }
        return new DevicePointer(allocation, offset + bytes);
    }

    /** This pointer moved {@code count} floats further. */
    DevicePointer plusFloats(long count) {
        return plus(count * Float.BYTES);
    }
}
