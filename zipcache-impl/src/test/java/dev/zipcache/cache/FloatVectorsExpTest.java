package dev.zipcache.cache;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Our exponential: the vector lanes equal the scalar twin bit for bit (both use only exactly specified IEEE
 * operations, which is what makes them tier-independent), and both stay within 2 ulp of the exact value.
 */
class FloatVectorsExpTest {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    @Test
    void vectorLanesEqualTheScalarTwinBitForBit() {
        float[] arguments = arguments();
        float[] lanes = new float[SPECIES.length()];
        for (int i = 0; i + SPECIES.length() <= arguments.length; i += SPECIES.length()) {
            FloatVectors.exp(FloatVector.fromArray(SPECIES, arguments, i)).intoArray(lanes, 0);
            for (int lane = 0; lane < lanes.length; lane++) {
                float x = arguments[i + lane];
                assertThat(Float.floatToRawIntBits(lanes[lane]))
                        .as("exp(%s)", x).isEqualTo(Float.floatToRawIntBits(FloatVectors.expScalar(x)));
            }
        }
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
