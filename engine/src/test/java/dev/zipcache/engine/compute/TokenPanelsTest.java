package dev.zipcache.engine.compute;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The token-panel product equals the matrix product computed in double, within the rounding bound of one fused
 * multiply-add chain per sum, for batches that fill whole tiles, end inside a tile or inside a vector, and for
 * column counts that are not multiples of anything; it writes exactly the requested rows of the output.
 */
class TokenPanelsTest {

    @ParameterizedTest(name = "batch {0}, columns {1}")
    @CsvSource({"32, 64", "33, 7", "47, 100", "48, 1", "49, 33", "100, 128", "257, 64", "96, 300"})
    void productEqualsDoublePrecisionReference(int batch, int columns) {
        Random random = new Random(31L * batch + columns);
        int rows = 12;
        int outRows = rows + 3;
        int firstRow = 2;
        float[] weights = gaussian(random, rows * columns);
        float[] input = gaussian(random, batch * columns);
        float[] panel = new float[columns * TokenPanels.stride(batch)];
        Arrays.fill(panel, Float.NaN); // the padding must be written, not assumed
        TokenPanels.transpose(input, batch, columns, panel);
        float[] out = new float[batch * outRows];
        Arrays.fill(out, Float.NaN);
        float[] scratch = new float[TokenPanels.scratchFloats()];
        for (int token = 0; token < TokenPanels.stride(batch); token += TokenPanels.TILE_TOKENS) {
            for (int r = 0; r < rows; r += TokenPanels.ROWS) {
                TokenPanels.multiply4(weights, r * columns, columns, panel, batch, token, out, outRows, firstRow + r,
                        scratch);
            }
        }
        for (int t = 0; t < batch; t++) {
            for (int o = 0; o < outRows; o++) {
                int r = o - firstRow;
                if (r < 0 || r >= rows) {
                    assertThat(out[t * outRows + o]).as("token %d, untouched row %d", t, o).isNaN();
                    continue;
                }
                double exact = 0;
                double magnitude = 0;
                for (int c = 0; c < columns; c++) {
                    double term = (double) weights[r * columns + c] * input[t * columns + c];
                    exact += term;
                    magnitude += Math.abs(term);
                }
                // One fma chain of n steps: |computed − exact| ≤ γ_n · Σ|w·x|, γ_n = n·u / (1 − n·u), u = 2^-24.
                double u = Math.ulp(1f) / 2;
                double bound = columns * u / (1 - columns * u) * magnitude;
                assertThat((double) out[t * outRows + o]).as("token %d, row %d", t, r)
                        .isCloseTo(exact, within(bound + Double.MIN_VALUE));
            }
        }
    }

    private static float[] gaussian(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
