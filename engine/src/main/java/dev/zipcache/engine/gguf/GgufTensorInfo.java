package dev.zipcache.engine.gguf;

import dev.zipcache.engine.tensor.GgmlType;

import java.util.Arrays;

/**
 * One tensor's entry in a GGUF file.
 *
 * @param name       its name ({@code blk.0.attn_q.weight})
 * @param dimensions sizes, innermost (contiguous) first: a {@code [out, in]} matrix is {@code [in, out]}
 * @param type       the storage type
 * @param offset     byte offset from the start of the data section
 */
public record GgufTensorInfo(String name, long[] dimensions, GgmlType type, long offset) {

    public GgufTensorInfo {
        dimensions = dimensions.clone();
    }

    @Override
    public long[] dimensions() {
        return dimensions.clone();
    }

    /** Elements in the tensor. */
    public long elementCount() {
        long count = 1;
        for (long dimension : dimensions) {
            count = Math.multiplyExact(count, dimension);
        }
        return count;
    }

    /** Bytes the tensor occupies. */
    public long byteSize() {
        return type.bytesFor(elementCount());
    }

    /** Size of dimension {@code index}, 1 past the last dimension. */
    public long dimension(int index) {
        return index < dimensions.length ? dimensions[index] : 1;
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof GgufTensorInfo that && name.equals(that.name) && Arrays.equals(dimensions, that.dimensions)
                && type == that.type && offset == that.offset;
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(dimensions);
    }

    @Override
    public String toString() {
        return name + " " + Arrays.toString(dimensions) + " " + type + " @" + offset;
    }
}
