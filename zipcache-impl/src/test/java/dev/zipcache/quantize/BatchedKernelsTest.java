package dev.zipcache.quantize;

import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.QuantizedBlock;
import dev.zipcache.spi.Spec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The batched kernels (many rows per call, query-side work hoisted, values accumulated in code space) equal the
 * row-by-row fused kernels they replace on the attention path, for every scheme, bit width and head slice.
 */
class BatchedKernelsTest {

    static final int[] SLICE_WIDTHS = {0, 8, 128};

    @ParameterizedTest(name = "{0} {1} bits, width {2}, slice {3}+{4}")
    @CsvSource({
            "channelwise, 4, 32, 8, 8", "channelwise, 2, 1024, 128, 128", "channelwise, 3, 48, 16, 16",
            "tokenwise, 2, 32, 0, 8", "tokenwise, 4, 1024, 896, 128", "cst, 2, 32, 24, 8", "cst, 4, 1024, 256, 128",
            "groupwise, 2, 256, 128, 128", "groupwise, 4, 64, 16, 32", "channelwise, 8, 200, 100, 100",
            "groupwise-32, 2, 1024, 128, 128", "groupwise-8, 4, 64, 12, 40", "groupwise-7, 8, 50, 3, 30"})
    void batchedEqualsRowByRow(String scheme, int bits, int width, int column, int length) {
        Random random = new Random(bits * 31L + width);
        int rows = 77;
        float[] values = new float[rows * width];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * (1 + (i % width) % 5);
        }
        Providers<KvQuantizer> quantizers = Providers.quantizers();
        // "groupwise" alone: one group per slice; "groupwise-G": groups of G, so a slice crosses several.
        String spec = scheme.equals("groupwise") ? "groupwise:group=" + length
                : scheme.startsWith("groupwise-") ? "groupwise:group=" + scheme.substring("groupwise-".length())
                : scheme;
        // One segment, and the layout for slices of 8 and 128 channels (where they divide the width).
        for (int sliceWidth : SLICE_WIDTHS) {
            QuantizedBlock block = quantizers.find(Spec.parse(spec).name()).quantize(values, 0, rows, width, bits, null,
                    quantizers.resolve(Spec.parse(spec)), sliceWidth);
            float[] query = new float[length + 3];
            float[] weights = new float[rows + 2];
            for (int i = 0; i < query.length; i++) {
                query[i] = (float) random.nextGaussian();
            }
            double weightSum = 0;
            for (int i = 0; i < weights.length; i++) {
                weights[i] = random.nextFloat();
                weightSum += weights[i];
            }
            float[] batched = new float[rows];
            block.dotRows(5, rows - 5, column, query, 3, length, batched, 0);
            float[] summedBatched = new float[length];
            float[] summedSingly = new float[length];
            block.addWeightedRows(5, rows - 5, column, weights, 2, summedBatched, 0, length);
            double magnitude = 0;
            for (int i = 0; i < length; i++) {
                magnitude += Math.abs(query[3 + i]);
            }
            for (int r = 5; r < rows; r++) {
                float single = block.dot(r, column, query, 3, length);
                // Folding the parameters reorders float sums: error ~ ε·length·Σ|q|·max|x̂|, with |x̂| ≲ 20 here.
                assertThat(batched[r - 5]).as("slices of %d, row %d", sliceWidth, r)
                        .isCloseTo(single, within((float) (1e-5 * length * magnitude)));
                block.addWeighted(r, column, weights[2 + r - 5], summedSingly, 0, length);
            }
            for (int i = 0; i < length; i++) {
                assertThat(summedBatched[i]).as("slices of %d, channel %d", sliceWidth, i)
                        .isCloseTo(summedSingly[i], within((float) (1e-5 * rows * weightSum * 20)));
            }
        }
    }
}
