package dev.zipcache.engine.compute;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The vectorized float dot equals its scalar twin on awkward lengths and offsets. */
class FloatDotTest {

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 7, 15, 16, 17, 33, 100, 172, 1000, 4099})
    void vectorMatchesScalar(int length) {
        Random random = new Random(length);
        float[] a = new float[length + 3];
        float[] b = new float[length + 5];
        double magnitude = 0;
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < length; i++) {
            magnitude += Math.abs(a[3 + i] * b[5 + i]);
        }
        // Different summation orders differ by at most ~length·ε·Σ|a·b| (float rounding, ε = 2^-24).
        double tolerance = 2 * length * 0x1p-24 * magnitude + 1e-30;
        assertThat((double) FloatDot.dot(a, 3, b, 5, length))
                .isCloseTo(FloatDot.dotScalar(a, 3, b, 5, length), within(tolerance));
    }
}
