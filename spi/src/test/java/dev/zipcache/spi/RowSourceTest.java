package dev.zipcache.spi;

import dev.zipcache.spi.KvQuantizer.RowSource;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link RowSource}: rows of an array, two sources one after the other, and the default that lets a quantizer
 * written for arrays take rows produced on demand.
 */
class RowSourceTest {

    @Test
    void arrayRowsAreCopiedFromTheirOffset() {
        float[] values = {9, 1, 2, 3, 4, 5, 6};
        RowSource rows = RowSource.of(values, 1, 3);
        float[] out = new float[5];
        rows.copyRow(1, out, 2);
        assertThat(out).containsExactly(0, 0, 4, 5, 6);
        assertThat(rows.toArray(2, 3)).containsExactly(1, 2, 3, 4, 5, 6);
    }

    @Test
    void thenServesTheSecondSourceAfterTheFirstsRows() {
        RowSource first = RowSource.of(new float[] {1, 2, 3, 4}, 0, 2);
        RowSource second = RowSource.of(new float[] {5, 6, 7, 8, 9, 10}, 0, 2);
        assertThat(first.then(2, second).toArray(5, 2)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
        // Only the first source's leading rows count: a longer first source is cut.
        assertThat(first.then(1, second).toArray(2, 2)).containsExactly(1, 2, 5, 6);
    }

    @Test
    void theDefaultQuantizesTheRowsAsOneArray() {
        float[][] seen = new float[1][];
        KvQuantizer arraysOnly = new KvQuantizer() {
            @Override
            public String name() {
                return "arrays-only";
            }

            @Override
            public String description() {
                return "records what it is given";
            }

            @Override
            public List<OptionDescriptor> options() {
                return List.of();
            }

            @Override
            public QuantizedBlock quantize(float[] values, int offset, int rows, int width, int bits,
                                           float[] channelScales, SpecOptions options) {
                seen[0] = Arrays.copyOfRange(values, offset, offset + rows * width);
                return null;
            }
        };
        RowSource rows = (row, out, offset) -> {
            out[offset] = row;
            out[offset + 1] = -row;
        };
        arraysOnly.quantize(rows, 3, 2, 4, null, null, 2);
        assertThat(seen[0]).containsExactly(0, 0, 1, -1, 2, -2);
        assertThat(arraysOnly.channelScales(rows, 3, 2, null)).isNull();
    }
}
