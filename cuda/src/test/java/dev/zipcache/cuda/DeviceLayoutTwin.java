package dev.zipcache.cuda;

import dev.zipcache.engine.tensor.GgmlType;

import java.nio.ByteBuffer;

/**
 * The Java twin of {@code weight_at} in {@code kernels.cu}: element (row, col) of a matrix in the device layout
 * ({@link WeightPacking}), read the way the kernel reads it. Tests decode packed matrices with it and compare with
 * the engine's own {@code dequantizeRow}.
 */
final class DeviceLayoutTwin {

    private DeviceLayoutTwin() {
    }

    static float weightAt(GgmlType type, ByteBuffer data, long dataOffset, ByteBuffer scales, long scalesOffset,
                          long row, int col, int cols) {
        long index = row * cols + col;
        return switch (type) {
            case F32 -> data.getFloat(Math.toIntExact(dataOffset + index * 4));
            case F16 -> Float.float16ToFloat(data.getShort(Math.toIntExact(dataOffset + index * 2)));
            case BF16 -> Float.intBitsToFloat(
                    Short.toUnsignedInt(data.getShort(Math.toIntExact(dataOffset + index * 2))) << 16);
            case Q8_0 -> scale(scales, scalesOffset, index) * data.get(Math.toIntExact(dataOffset + index));
            case Q4_0 -> {
                int within = (int) (index & 31);
                int packed = Byte.toUnsignedInt(data.get(Math.toIntExact(dataOffset + (index >> 5) * 16
                        + (within & 15))));
                int q = within < 16 ? packed & 15 : packed >> 4;
                yield scale(scales, scalesOffset, index) * (q - 8);
            }
            default -> throw new IllegalArgumentException(type + " has no device layout");
        };
    }

    private static float scale(ByteBuffer scales, long scalesOffset, long index) {
        return Float.float16ToFloat(scales.getShort(Math.toIntExact(scalesOffset + (index >> 5) * 2)));
    }
}
