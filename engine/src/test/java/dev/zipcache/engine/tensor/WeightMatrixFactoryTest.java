package dev.zipcache.engine.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.MemorySegment;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** {@link WeightMatrix#of} picks the kernel for each type and rejects what it cannot read. */
class WeightMatrixFactoryTest {

    @ParameterizedTest
    @EnumSource(names = {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_K", "Q6_K"})
    void wrapsEverySupportedTypeWithItsShape(GgmlType type) {
        int columns = 512;
        MemorySegment segment = MemorySegment.ofArray(new byte[Math.toIntExact(type.bytesFor(3L * columns)) + 10]);
        WeightMatrix matrix = WeightMatrix.of("blk.0.ffn_up.weight", type, segment, 3, columns);
        assertThat(matrix.type()).isEqualTo(type);
        assertThat(matrix.rows()).isEqualTo(3);
        assertThat(matrix.columns()).isEqualTo(columns);
        assertThat(matrix.segment().byteSize()).as("sliced to the tensor's bytes")
                .isEqualTo(type.bytesFor(3L * columns));
        assertThat(matrix.dot(2, new float[columns], 0)).isZero();
    }

    @Test
    void rejectsTruncatedSegment() {
        MemorySegment segment = MemorySegment.ofArray(new byte[2 * 34 - 1]);
        assertThatThrownBy(() -> WeightMatrix.of("output.weight", GgmlType.Q8_0, segment, 2, 32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("output.weight")
                .hasMessageContaining("truncated");
    }

    @Test
    void rejectsRowLengthThatIsNotAMultipleOfTheBlock() {
        MemorySegment segment = MemorySegment.ofArray(new byte[1000]);
        assertThatThrownBy(() -> WeightMatrix.of("token_embd.weight", GgmlType.Q4_0, segment, 1, 48))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("token_embd.weight")
                .hasMessageContaining("48");
    }

    @Test
    void rejectsUnsupportedTypeNamingTensorAndType() {
        MemorySegment segment = MemorySegment.ofArray(new byte[GgmlType.Q5_K.bytesPerBlock()]);
        assertThatThrownBy(() -> WeightMatrix.of("blk.3.attn_q.weight", GgmlType.Q5_K, segment, 1, 256))
                .isInstanceOf(UnsupportedTensorTypeException.class)
                .hasMessageContaining("blk.3.attn_q.weight")
                .hasMessageContaining("Q5_K");
    }

    @Test
    void constructorRejectsSegmentOfTheWrongSize() {
        MemorySegment segment = MemorySegment.ofArray(new byte[4 * 10 + 4]);
        assertThatThrownBy(() -> new F32Matrix(segment, 2, 5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("40 bytes");
    }

    @Test
    void dotRejectsAnInputShorterThanARowAndARowOutOfRange() {
        WeightMatrix matrix = WeightMatrix.of("w", GgmlType.F32, MemorySegment.ofArray(new byte[4 * 8]), 2, 4);
        assertThatThrownBy(() -> matrix.dot(0, new float[5], 2)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> matrix.dotScalar(2, new float[4], 0)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
