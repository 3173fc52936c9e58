package dev.zipcache.quantize;

import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.QuantizedBlock;
import dev.zipcache.spi.Spec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The GQA group kernels (four query heads per unpacked code or converted half) equal their scalar twins, head by
 * head, on awkward row counts, slices and head dimensions.
 */
class GroupKernelsTest {

    @ParameterizedTest(name = "{0} {1} bits, width {2}, slice {3}+{4}, {5} heads, {6} rows")
    @CsvSource({
            "channelwise, 4, 256, 0, 128, 4, 43", "channelwise, 2, 256, 128, 128, 4, 43",
            "cst, 4, 256, 128, 128, 4, 43", "cst, 2, 256, 0, 128, 4, 43", "channelwise, 4, 40, 20, 20, 4, 43",
            "cst, 2, 72, 36, 36, 4, 43", "channelwise, 3, 48, 16, 16, 4, 43", "groupwise-8, 4, 64, 12, 40, 4, 43",
            "channelwise, 4, 256, 0, 128, 3, 43", "cst, 8, 200, 100, 100, 4, 43",
            // More rows than one tile of the value kernel (64), the last tile odd-sized.
            "cst, 2, 256, 128, 128, 4, 206", "channelwise, 4, 256, 0, 128, 4, 135",
            // Two parameter groups per row, one in the slice.
            "groupwise-128, 4, 256, 128, 128, 4, 135"})
    void groupEqualsScalarPerHead(String scheme, int bits, int width, int column, int length, int heads, int rows) {
        Random random = new Random(bits * 31L + width + heads);
        float[] values = new float[rows * width];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * (1 + (i % width) % 5);
        }
        Providers<KvQuantizer> quantizers = Providers.quantizers();
        String spec = scheme.startsWith("groupwise-") ? "groupwise:group=" + scheme.substring("groupwise-".length())
                : scheme;
        float[] scales = scheme.equals("cst") ? quantizers.find("cst").channelScales(values, 0, rows, width,
                quantizers.resolve(Spec.parse(spec))) : null;
        for (int sliceWidth : BatchedKernelsTest.SLICE_WIDTHS) {
            QuantizedBlock block = quantizers.find(Spec.parse(spec).name()).quantize(values, 0, rows, width, bits,
                    scales, quantizers.resolve(Spec.parse(spec)), sliceWidth);
            MinMaxQuantizedBlock quantized = (MinMaxQuantizedBlock) block;
            float[] queries = gaussian(random, 3 + heads * length);
            int first = 2;
            int count = rows - 5; // 38 rows of 43: not a multiple of four
            int stride = count + 5;
            float[] scores = new float[heads * stride];
            quantized.dotRowsGroup(first, count, column, queries, 3, length, heads, length, scores, 0, stride);
            float[] weights = new float[heads * stride];
            for (int i = 0; i < weights.length; i++) {
                weights[i] = random.nextFloat();
            }
            float[] summed = new float[2 + heads * length];
            quantized.addWeightedRowsGroup(first, count, column, weights, 0, stride, heads, summed, 2, length, length);
            for (int h = 0; h < heads; h++) {
                double magnitude = 0;
                for (int i = 0; i < length; i++) {
                    magnitude += Math.abs(queries[3 + h * length + i]);
                }
                float[] expected = new float[length];
                double weightSum = 0;
                for (int r = 0; r < count; r++) {
                    float single = quantized.dotScalar(first + r, column, queries, 3 + h * length, length);
                    assertThat(scores[h * stride + r]).as("slices of %d, head %d row %d", sliceWidth, h, r)
                            .isCloseTo(single, within((float) (1e-5 * length * magnitude)));
                    quantized.addWeightedScalar(first + r, column, weights[h * stride + r], expected, 0, length);
                    weightSum += weights[h * stride + r];
                }
                for (int i = 0; i < length; i++) {
                    assertThat(summed[2 + h * length + i]).as("slices of %d, head %d channel %d", sliceWidth, h, i)
                            .isCloseTo(expected[i], within((float) (1e-5 * count * weightSum * 20)));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 17, 64, 128, 100})
    void halfGroupKernelsEqualScalar(int length) {
        Random random = new Random(length);
        int tokens = 131;
        short[] halves = new short[5 + tokens * length];
        for (int i = 0; i < halves.length; i++) {
            halves[i] = Float.floatToFloat16((float) random.nextGaussian());
        }
        float[] queries = gaussian(random, 1 + 4 * length);
        int stride = tokens + 3;
        float[] scores = new float[4 * stride];
        HalfVectors.dots4(queries, 1, halves, 5, tokens, length, scores, 0, stride);
        float[] weights = gaussian(random, 4 * stride);
        float[] out = new float[4 * length];
        HalfVectors.addScaled4(weights, 0, stride, halves, 5, tokens, length, out, 0);
        for (int h = 0; h < 4; h++) {
            float[] expected = new float[length];
            for (int t = 0; t < tokens; t++) {
                float dot = 0f;
                for (int i = 0; i < length; i++) {
                    float x = Float.float16ToFloat(halves[5 + t * length + i]);
                    dot += queries[1 + h * length + i] * x;
                    expected[i] += weights[h * stride + t] * x;
                }
                assertThat(scores[h * stride + t]).isCloseTo(dot, within(1e-4f * length));
            }
            for (int i = 0; i < length; i++) {
                assertThat(out[h * length + i]).isCloseTo(expected[i], within(1e-3f));
            }
        }
    }

    private static float[] gaussian(Random random, int length) {
        float[] values = new float[length];
        for (int i = 0; i < length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
