package dev.zipcache.engine.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.Set;

/**
 * Encodes float weights into the bytes of a ggml type, as ggml's reference quantizers ({@code quantize_row_*_ref})
 * do, so that files written with it read back through {@link WeightMatrix} like files written by llama.cpp.
 *
 * <p>Supported targets: {@link GgmlType#F32}, {@link GgmlType#F16}, {@link GgmlType#BF16}, {@link GgmlType#Q8_0}
 * and {@link GgmlType#Q4_0}. Values are encoded in order, so a row-major matrix becomes a row-major tensor whose rows
 * must each hold whole blocks.
 */
public final class WeightQuantizer {

    private static final Set<GgmlType> SUPPORTED =
            Set.of(GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0);

    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private static final int BLOCK_SIZE = 32;
    private static final int HALF_BLOCK = BLOCK_SIZE / 2;
    private static final int Q8_MAX_CODE = 127;
    private static final int Q4_MAX_CODE = 15;
    /** Q4_0 maps the value of largest magnitude to code 0, i.e. to −8 · d. */
    private static final float Q4_MIN_LEVEL = -8f;

    private WeightQuantizer() {
    }

    /** Whether {@link #quantize} can encode into {@code type}. */
    public static boolean supports(GgmlType type) {
        return SUPPORTED.contains(type);
    }

    /**
     * Encodes {@code values} as {@code type}.
     *
     * @throws IllegalArgumentException when {@code type} is not supported, or {@code values.length} is not a
     *                                  multiple of its block size
     */
    public static byte[] quantize(GgmlType type, float[] values) {
        checkSupported(type);
        byte[] bytes = new byte[Math.toIntExact(type.bytesFor(values.length))];
        quantize(type, values, MemorySegment.ofArray(bytes));
        return bytes;
    }

    /**
     * Encodes {@code values} as {@code type} into the start of {@code target}, for example a slice of a file being
     * written.
     *
     * @return the bytes written, {@code type.bytesFor(values.length)}
     * @throws IllegalArgumentException when {@code type} is not supported, {@code values.length} is not a multiple of
     *                                  its block size, or {@code target} is too small
     */
    public static long quantize(GgmlType type, float[] values, MemorySegment target) {
        checkSupported(type);
        Objects.requireNonNull(target, "target");
        long size = type.bytesFor(values.length);
        if (target.byteSize() < size) {
            throw new IllegalArgumentException(values.length + " values take " + size + " bytes as " + type
                    + ", but the target holds only " + target.byteSize());
        }
        switch (type) {
            case F32 -> {
                for (int i = 0; i < values.length; i++) {
                    target.set(FLOAT_LE, (long) i * Float.BYTES, values[i]);
                }
            }
            case F16 -> {
                for (int i = 0; i < values.length; i++) {
                    target.set(SHORT_LE, (long) i * Short.BYTES, Float.floatToFloat16(values[i]));
                }
            }
            case BF16 -> {
                for (int i = 0; i < values.length; i++) {
                    target.set(SHORT_LE, (long) i * Short.BYTES, toBFloat16(values[i]));
                }
            }
            case Q8_0 -> {
                for (int block = 0; block < values.length / BLOCK_SIZE; block++) {
                    encodeQ8_0Block(values, block * BLOCK_SIZE, target, block * type.bytesPerBlock());
                }
            }
            case Q4_0 -> {
                for (int block = 0; block < values.length / BLOCK_SIZE; block++) {
                    encodeQ4_0Block(values, block * BLOCK_SIZE, target, block * type.bytesPerBlock());
                }
            }
            default -> throw new AssertionError(type);
        }
        return size;
    }

    /**
     * The bfloat16 nearest to {@code value}, ties to even; a NaN stays a (quiet) NaN instead of rounding into an
     * infinity, as ggml's {@code ggml_compute_fp32_to_bf16}.
     */
    static short toBFloat16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) {
            return (short) ((bits >>> 16) | 0x40);
        }
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** d = amax / 127, q = round(x / d): ggml's {@code quantize_row_q8_0_ref}. */
    private static void encodeQ8_0Block(float[] values, int from, MemorySegment target, long blockStart) {
        float maxMagnitude = 0f;
        for (int i = 0; i < BLOCK_SIZE; i++) {
            maxMagnitude = Math.max(maxMagnitude, Math.abs(values[from + i]));
        }
        float blockScale = maxMagnitude / Q8_MAX_CODE;
        float inverseScale = blockScale != 0f ? 1f / blockScale : 0f;
        target.set(SHORT_LE, blockStart, Float.floatToFloat16(blockScale));
        for (int i = 0; i < BLOCK_SIZE; i++) {
            int code = roundHalfAwayFromZero(values[from + i] * inverseScale);
            target.set(ValueLayout.JAVA_BYTE, blockStart + Short.BYTES + i, (byte) code);
        }
    }

    /**
     * d = (the value of largest magnitude) / −8, q = min(15, ⌊x / d + 8.5⌋), element j in the low nibble and
     * j + 16 in the high nibble of byte j: ggml's {@code quantize_row_q4_0_ref}. An all-zero block gets d = −0
     * (0 / −8) and codes 8.
     */
    private static void encodeQ4_0Block(float[] values, int from, MemorySegment target, long blockStart) {
        float maxMagnitude = 0f;
        float extreme = 0f;
        for (int i = 0; i < BLOCK_SIZE; i++) {
            float value = values[from + i];
            // Strictly greater: the first of equal magnitudes wins, as in ggml.
            if (Math.abs(value) > maxMagnitude) {
                maxMagnitude = Math.abs(value);
                extreme = value;
            }
        }
        float blockScale = extreme / Q4_MIN_LEVEL;
        float inverseScale = blockScale != 0f ? 1f / blockScale : 0f;
        target.set(SHORT_LE, blockStart, Float.floatToFloat16(blockScale));
        for (int j = 0; j < HALF_BLOCK; j++) {
            int low = q4Code(values[from + j] * inverseScale);
            int high = q4Code(values[from + HALF_BLOCK + j] * inverseScale);
            target.set(ValueLayout.JAVA_BYTE, blockStart + Short.BYTES + j, (byte) (low | high << 4));
        }
    }

    /** ggml truncates toward zero after adding 8.5, which rounds x / d to nearest and shifts it to 0..16. */
    private static int q4Code(float scaled) {
        return Math.min(Q4_MAX_CODE, (int) (scaled + 8.5f));
    }

    /** C's {@code roundf}: halves round away from zero (Java's {@link Math#round} rounds them up). */
    static int roundHalfAwayFromZero(float value) {
        return value < 0f ? -Math.round(-value) : Math.round(value);
    }

    private static void checkSupported(GgmlType type) {
        if (!supports(type)) {
            throw new IllegalArgumentException("cannot quantize to " + type + "; supported targets: "
                    + SUPPORTED.stream().map(GgmlType::name).sorted().toList());
        }
    }
}
