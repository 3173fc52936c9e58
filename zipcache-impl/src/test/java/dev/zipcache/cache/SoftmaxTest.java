package dev.zipcache.cache;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The vectorized softmax equals its scalar twin on awkward lengths. */
class SoftmaxTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 3, 15, 16, 17, 100, 4099})
    void vectorMatchesScalar(int length) {
        Random random = new Random(length);
        float[] vector = new float[length];
        for (int i = 0; i < length; i++) {
            vector[i] = (float) random.nextGaussian() * 20;
        }
        float[] scalar = vector.clone();
        Softmax.scaledInPlace(vector, length, 0.125f);
        Softmax.scaledInPlaceScalar(scalar, length, 0.125f);
        double total = 0;
        for (int i = 0; i < length; i++) {
            // EXP lanes are within a few ulps of Math.exp; the normalizing sums differ in order: relative ~1e-6.
            assertThat(vector[i]).isCloseTo(scalar[i], within(2e-6f * Math.max(scalar[i], 1e-3f)));
            total += vector[i];
        }
        assertThat(total).isCloseTo(1.0, within(1e-5));
    }
}
