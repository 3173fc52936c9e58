package dev.zipcache.engine.compute;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The 4×4 prefill micro-kernel equals its scalar twin on awkward lengths and strides. */
class TiledDotTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 16, 17, 64, 172, 1000, 2051})
    void vectorMatchesScalar(int length) {
        Random random = new Random(length);
        int wStride = length + 3;
        int xStride = length + 5;
        float[] w = new float[2 + 4 * wStride];
        float[] x = new float[1 + 4 * xStride];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextGaussian();
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        float[] vector = new float[16];
        float[] scalar = new float[16];
        TiledDot.dot4x4(w, 2, wStride, x, 1, xStride, length, vector);
        TiledDot.dot4x4Scalar(w, 2, wStride, x, 1, xStride, length, scalar);
        for (int i = 0; i < 16; i++) {
            // Different summation order: |Δ| ≲ length·ε·Σ|w·x| ≈ length·2^-24·length (unit Gaussians).
            assertThat(vector[i]).isCloseTo(scalar[i], within((float) (4.0 * length * length * 0x1p-24) + 1e-5f));
        }
    }
}
