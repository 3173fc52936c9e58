package dev.zipcache.quantize;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A block laid out for slices (each KV head's rows stored together) holds the same codes, parameters and bytes as the
 * one-segment block of the same values, and decodes to the same floats: the layout is storage only. Widths that the
 * slice does not divide, and slices that are not whole bytes at every bit count, fall back to one segment.
 */
class SegmentedLayoutTest {

    private static final int[][] SHAPES = {{5, 96}, {3, 200}, {4, 19}, {2, 8}, {3, 4 * 64}, {1, 60}};

    static Iterable<QuantizerCase> cases() {
        return QuantizerCase.all().stream().filter(c -> c.sliceWidth() != 0).toList();
    }

    @ParameterizedTest
    @MethodSource("cases")
    void sameCodesParametersBytesAndValuesAsOneSegment(QuantizerCase scheme) {
        Random random = new Random(17 * scheme.spec().hashCode() + scheme.sliceWidth());
        for (int bits : QuantizerCase.BITS) {
            for (int[] shape : SHAPES) {
                int rows = shape[0];
                int width = shape[1];
                float[] values = QuantizerCase.values(random, rows, width);
                MinMaxQuantizedBlock segmented = scheme.quantize(values, rows, width, bits);
                MinMaxQuantizedBlock whole = (MinMaxQuantizedBlock) scheme.quantizer().quantize(values, 0, rows, width,
                        bits, null, scheme.options());
                String what = scheme + " " + bits + "-bit " + rows + "×" + width;
                assertThat(segmented.bytes()).as(what).isEqualTo(whole.bytes());
                float[] segmentedRow = new float[width];
                float[] wholeRow = new float[width];
                for (int row = 0; row < rows; row++) {
                    for (int column = 0; column < width; column++) {
                        assertThat(segmented.code(row, column)).as("%s [%d, %d]", what, row, column)
                                .isEqualTo(whole.code(row, column));
                        assertThat(segmented.parameters(row, column)).isEqualTo(whole.parameters(row, column));
                    }
                    segmented.dequantize(row, 0, segmentedRow, 0, width);
                    whole.dequantize(row, 0, wholeRow, 0, width);
                    assertThat(segmentedRow).as("%s row %d", what, row).containsExactly(wholeRow);
                    segmented.dequantizeScalar(row, 0, segmentedRow, 0, width);
                    assertThat(segmentedRow).as("%s row %d, scalar", what, row).containsExactly(wholeRow);
                }
            }
        }
    }
}
