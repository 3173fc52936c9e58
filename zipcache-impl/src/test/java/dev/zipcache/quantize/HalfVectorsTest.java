package dev.zipcache.quantize;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The vectorized fp16 dot and scaled add equal their scalar definitions on awkward lengths. */
class HalfVectorsTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 8, 16, 19, 128, 130})
    void matchScalarDefinitions(int length) {
        Random random = new Random(length);
        float[] query = new float[length + 2];
        short[] halves = new short[length + 3];
        for (int i = 0; i < query.length; i++) {
            query[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < halves.length; i++) {
            // Normal and subnormal halves alike.
            halves[i] = Float.floatToFloat16((float) (random.nextGaussian() * (i % 5 == 0 ? 1e-6 : 3)));
        }
        double expected = 0;
        double magnitude = 0;
        for (int i = 0; i < length; i++) {
            double term = query[2 + i] * (double) Float.float16ToFloat(halves[3 + i]);
            expected += term;
            magnitude += Math.abs(term);
        }
        assertThat((double) HalfVectors.dot(query, 2, halves, 3, length))
                .isCloseTo(expected, within(length * 0x1p-23 * magnitude + 1e-12));
        float[] out = new float[length + 1];
        HalfVectors.addScaled(0.5f, halves, 3, out, 1, length);
        for (int i = 0; i < length; i++) {
            assertThat(out[1 + i]).isEqualTo(0.5f * Float.float16ToFloat(halves[3 + i]));
        }
    }
}
