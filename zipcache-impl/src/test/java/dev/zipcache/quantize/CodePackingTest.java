package dev.zipcache.quantize;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CodePackingTest {

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 8})
    void packsWithTrueBitCountsAndUnpacksEveryCount(int bits) {
        Random random = new Random(bits);
        for (int count = 1; count <= 70; count++) {
            int[] codes = random.ints(count, 0, 1 << bits).toArray();
            byte[] packed = CodePacking.pack(codes, bits);
            assertThat(packed).hasSize((count * bits + 7) / 8);
            assertThat(CodePacking.unpack(packed, count, bits)).containsExactly(codes);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void planarLayoutPutsEachPlaneInItsOwnBits(int bits) {
        int planes = 8 / bits;
        int count = 4 * planes;
        int[] codes = new int[count];
        for (int c = 0; c < count; c++) {
            codes[c] = c / 4; // plane p holds the value p everywhere
        }
        byte[] packed = CodePacking.packPlanar(codes, bits);
        for (byte b : packed) {
            int expected = 0;
            for (int plane = 0; plane < planes; plane++) {
                expected |= plane << (plane * bits);
            }
            assertThat(Byte.toUnsignedInt(b)).isEqualTo(expected);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 3, 4, 8})
    void rejectsCodesThatDoNotFit(int bits) {
        assertThatThrownBy(() -> CodePacking.pack(new int[]{0, 1 << bits}, bits))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("does not fit " + bits + " bits");
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 5, 16})
    void rejectsBitWidthsOtherThanTwoThreeFourEight(int bits) {
        assertThatThrownBy(() -> CodePacking.pack(new int[]{0}, bits))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("bits must be 2, 3, 4 or 8, got " + bits);
    }
}
