package dev.zipcache.cache;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Our exponential ({@link FloatVectors#expInPlace}): the vector lanes equal the scalar twin bit for bit (both use only exactly specified IEEE
 * operations, which is what makes them tier-independent), and both stay within 2 ulp of the exact value.
 */
class FloatVectorsExpTest {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    @Test
    void vectorLanesEqualTheScalarTwinBitForBit() {
        float[] arguments = arguments();
        // Every length up to two vectors and a long one: whole vectors, masked tails, and both.
        for (int length : new int[] {1, 3, SPECIES.length() - 1, SPECIES.length(), SPECIES.length() + 5,
                2 * SPECIES.length(), arguments.length - 2}) {
            float[] values = Arrays.copyOfRange(arguments, 0, length + 2);
            float sum = FloatVectors.expInPlace(values, 1, length, 1f, 0f);
            assertThat(values[0]).isEqualTo(arguments[0]);
            assertThat(values[length + 1]).as("past the end").isEqualTo(arguments[length + 1]);
            double exactSum = 0;
            for (int i = 1; i <= length; i++) {
                float x = arguments[i];
                assertThat(Float.floatToRawIntBits(values[i]))
                        .as("exp(%s)", x).isEqualTo(Float.floatToRawIntBits(FloatVectors.expScalar(x)));
                exactSum += values[i];
            }
            if (exactSum > Float.MAX_VALUE) {
                assertThat(sum).as("sum of %d", length).isEqualTo(Float.POSITIVE_INFINITY);
            } else {
                // Float summation of `length` non-negative terms: relative error below length · 2^-24.
                assertThat((double) sum).as("sum of %d", length)
                        .isCloseTo(exactSum, within(exactSum * length * 0x1p-24 + 1e-30));
            }
        }
    }

    @Test
    void scaleAndShiftApplyBeforeTheExponential() {
        float[] values = {0.5f, -1f, 2f};
        FloatVectors.expInPlace(values, 0, 3, 3f, 1.5f);
        assertThat(values).containsExactly(FloatVectors.expScalar(0.5f * 3f - 1.5f),
                FloatVectors.expScalar(-1f * 3f - 1.5f), FloatVectors.expScalar(2f * 3f - 1.5f));
    }

    @Test
    void staysWithinTwoUlpOfTheExactValue() {
        for (float x : arguments()) {
            float ours = FloatVectors.expScalar(x);
            double exact = Math.exp(x);
            if (x < -87.33654f) {
                assertThat(ours).as("flushed below the smallest normal: exp(%s)", x).isZero();
            } else if (x > 88.37626f) {
                assertThat(ours).isEqualTo(Float.POSITIVE_INFINITY);
            } else {
                double ulp = Math.ulp((float) exact);
                assertThat(Math.abs(ours - exact)).as("exp(%s) = %s, exact %s", x, ours, exact)
                        .isLessThanOrEqualTo(2 * ulp);
            }
        }
    }

    /** Softmax-like arguments (mostly ≤ 0), the range ends, integers and halves of ln 2, and random values. */
    private static float[] arguments() {
        Random random = new Random(7);
        int count = SPECIES.length() * 4000;
        float[] arguments = new float[count];
        float[] fixed = {0f, -0f, 1f, -1f, 0.34657359f, -0.34657359f, 0.6931472f, -87.33654f, -87.4f, -100f,
                88.37626f, 88.4f, 50f, -50f, 1e-7f, -1e-7f};
        System.arraycopy(fixed, 0, arguments, 0, fixed.length);
        for (int i = fixed.length; i < count; i++) {
            arguments[i] = i % 2 == 0 ? (float) (-random.nextDouble() * 30) : (float) ((random.nextDouble() - 0.5) * 180);
        }
        return arguments;
    }
}
