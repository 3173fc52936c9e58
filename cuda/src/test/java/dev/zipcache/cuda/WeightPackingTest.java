package dev.zipcache.cuda;

import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.tensor.WeightMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The device layout, read as the kernels read it, holds the same numbers as the GGUF blocks. */
class WeightPackingTest {

    private static final ValueLayout.OfShort SHORT_LE =
            ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE =
            ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F32", "F16", "BF16", "Q8_0", "Q4_0"})
    void packedLayoutDecodesLikeTheEngine(GgmlType type) {
        // Awkward sizes: rows not a multiple of a warp or tile, columns a few blocks.
        int rows = 13;
        int columns = 96;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = randomMatrix(arena, type, rows, columns, new Random(type.ordinal()));
            WeightMatrix matrix = WeightMatrix.of("test", type, segment, rows, columns);
            WeightPacking packing = WeightPacking.of(matrix);
            float[] expected = new float[columns];
            for (int row = 0; row < rows; row++) {
                matrix.dequantizeRow(row, expected, 0);
                for (int col = 0; col < columns; col++) {
                    float actual = DeviceLayoutTwin.weightAt(type, packing.data(), packing.data().position(),
                            packing.scales(), packing.scales() == null ? 0 : packing.scales().position(), row, col,
                            columns);
                    assertThat(actual).as("%s [%d, %d]", type, row, col).isEqualTo(expected[col]);
                }
            }
            long expectedBytes = switch (type) {
                case Q8_0 -> (long) rows * columns;
                case Q4_0 -> (long) rows * columns / 2;
                default -> segment.byteSize();
            };
            assertThat(packing.data().remaining()).isEqualTo(expectedBytes);
            if (type == GgmlType.Q8_0 || type == GgmlType.Q4_0) {
                assertThat(packing.scales().remaining()).isEqualTo(rows * columns / 32 * 2);
            } else {
                assertThat(packing.scales()).isNull();
            }
        }
    }

    @Test
    void typesWithoutKernelsAreRefusedWithTheSupportedList() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment segment = arena.allocate(GgmlType.Q4_K.bytesFor(256));
            WeightMatrix matrix = WeightMatrix.of("k", GgmlType.Q4_K, segment, 1, 256);
            assertThatThrownBy(() -> WeightPacking.of(matrix))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("Q4_K has no CUDA kernels yet")
                    .hasMessageContaining("[F32, F16, BF16, Q8_0, Q4_0]");
        }
    }

    /** Random blocks with finite scales, so that every element is a finite number. */
    private static MemorySegment randomMatrix(Arena arena, GgmlType type, int rows, int columns, Random random) {
        long elements = (long) rows * columns;
        MemorySegment segment = arena.allocate(type.bytesFor(elements));
        switch (type) {
            case F32 -> {
                for (long i = 0; i < elements; i++) {
                    segment.set(FLOAT_LE, i * 4, (float) random.nextGaussian());
                }
            }
            case F16 -> {
                for (long i = 0; i < elements; i++) {
                    segment.set(SHORT_LE, i * 2, Float.floatToFloat16((float) random.nextGaussian()));
                }
            }
            case BF16 -> {
                for (long i = 0; i < elements; i++) {
                    segment.set(SHORT_LE, i * 2,
                            (short) (Float.floatToIntBits((float) random.nextGaussian()) >>> 16));
                }
            }
            case Q8_0, Q4_0 -> {
                int blockBytes = type.bytesPerBlock();
                for (long block = 0; block < elements / 32; block++) {
                    long start = block * blockBytes;
                    segment.set(SHORT_LE, start, Float.floatToFloat16((float) (0.01 + random.nextDouble())));
                    for (int i = 2; i < blockBytes; i++) {
                        segment.set(ValueLayout.JAVA_BYTE, start + i, (byte) random.nextInt(256));
                    }
                }
            }
            default -> throw new IllegalArgumentException(type.toString());
        }
        return segment;
    }
}
