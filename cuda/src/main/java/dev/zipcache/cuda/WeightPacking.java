package dev.zipcache.cuda;

import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.tensor.WeightMatrix;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * The device layout of a weight matrix (the table at the top of {@code kernels.cu}): the same type and bits as the
 * GGUF blocks, with a block-quantized type's scales split off into their own array. The quants of consecutive columns
 * are then consecutive bytes, so a warp's loads coalesce, and every scale is 2-byte aligned (a GGUF Q8_0 block is 34
 * bytes, so its scale is not).
 *
 * @param data   the elements (F32/F16/BF16) or quants (Q8_0: one int8 per element; Q4_0: 16 bytes per block in GGUF
 *               nibble order), little-endian
 * @param scales the blocks' fp16 scales in block order, or null for an element type
 */
record WeightPacking(ByteBuffer data, ByteBuffer scales) {

    /** The weight types with CUDA kernels. */
    static final List<GgmlType> SUPPORTED = List.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0,
            GgmlType.Q4_0);

    /** The kernel name suffix of a type ({@code gemv_q8_0}, ...). */
    static String kernelSuffix(GgmlType type) {
        requireSupported(type);
        return type.name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * Packs a matrix for upload. Element types are not copied: the buffer views the mapped file.
     *
     * @throws IllegalArgumentException for a type without CUDA kernels, or a matrix over 2 GiB
     */
    static WeightPacking of(WeightMatrix matrix) {
        GgmlType type = matrix.type();
        requireSupported(type);
        MemorySegment segment = matrix.segment();
        if (segment.byteSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("a " + matrix.rows() + " × " + matrix.columns() + " " + type
                    + " matrix is over 2 GiB, more than the CUDA backend uploads in one piece");
        }
        return switch (type) {
            case F32, F16, BF16 -> new WeightPacking(segment.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN), null);
            case Q8_0, Q4_0 -> splitScales(segment, type);
            default -> throw new AssertionError(type);
        };
    }

    private static WeightPacking splitScales(MemorySegment segment, GgmlType type) {
        int blockBytes = type.bytesPerBlock();
        int quantBytes = blockBytes - Short.BYTES;
        long blocks = segment.byteSize() / blockBytes;
        ByteBuffer data = ByteBuffer.allocate(Math.toIntExact(blocks * quantBytes)).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer scales = ByteBuffer.allocate(Math.toIntExact(blocks * Short.BYTES))
                .order(ByteOrder.LITTLE_ENDIAN);
        byte[] block = new byte[blockBytes];
        for (long b = 0; b < blocks; b++) {
            // ggml block: fp16 scale first, then the quants (FORMATS.md §2).
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, b * blockBytes, block, 0, blockBytes);
            scales.put(block, 0, Short.BYTES);
            data.put(block, Short.BYTES, quantBytes);
        }
        return new WeightPacking(data.flip(), scales.flip());
    }

    private static void requireSupported(GgmlType type) {
        if (!SUPPORTED.contains(type)) {
            throw new IllegalArgumentException("weight type " + type + " has no CUDA kernels yet (supported: "
                    + SUPPORTED + "); use --device cpu, or convert the model to one of those types");
        }
    }
}
