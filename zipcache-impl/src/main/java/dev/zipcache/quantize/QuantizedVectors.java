package dev.zipcache.quantize;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD shapes of this package's kernels, chosen in this one place, and the constants of the conversions they share.
 *
 * <p>The float width is {@link FloatVector#SPECIES_PREFERRED} clamped to 128..512 bits unless the system property
 * {@value #BITS_PROPERTY} (the engine's, so that one JVM uses one width) names 128, 256 or 512.
 *
 * <p>The kernels spell out their code unpacking ({@code fromArray(CODES) → LSHR → and(mask)}, then
 * {@code ZERO_EXTEND_B2I → I2F}; x86 has no byte shifts, so 16-bit lanes are shifted and the mask clears what crossed
 * from the neighbouring byte) and fp16 conversion ({@code S2I → LSHL HALF_SHIFT → and(HALF_BITS) → × HALF_REBIAS})
 * in every loop instead of calling a helper: a vector that crosses a call C2 does not inline is boxed on the heap, and
 * C2 declines small helpers at call sites it profiled as rare (a loop that short runs skip), then keeps that code.
 * Only the Vector API's own methods, which C2 always inlines, may take or return a vector here
 * ({@code FusedKernelAllocationTest} compiles the kernels with such a profile).
 */
public final class QuantizedVectors {

    /** System property that overrides the vector width in bits: 128, 256 or 512. */
    static final String BITS_PROPERTY = "zipcache.vector.bits";

    static final VectorSpecies<Float> FLOATS = choose(System.getProperty(BITS_PROPERTY));

    static final int FLOAT_LANES = FLOATS.length();

    /** Same shape as {@link #FLOATS}, for integer work on codes and fp16 bits. */
    static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);

    /** One packed byte per float lane, but at least 8 lanes: the narrowest byte vector is 64 bits. */
    static final VectorSpecies<Byte> CODES =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(FLOAT_LANES, 8) * Byte.SIZE));

    static final int CODE_LANES = CODES.length();

    /** Float vectors fed by one load of codes: 1, or 2 with 128-bit floats. */
    static final int CODE_PARTS = CODE_LANES / FLOAT_LANES;

    /** One fp16 parameter per float lane. */
    static final VectorSpecies<Short> HALVES =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOAT_LANES * Short.SIZE));

    /**
     * fp16 bits moved into float position ({@code << HALF_SHIFT}) read as a float 2^112 too small: 112 = 127 − 15 is
     * the difference of the exponent biases. Multiplying back is exact for normal and subnormal halves alike.
     */
    static final float HALF_REBIAS = 0x1p112f;

    /** After {@code << 13} of a sign-extended half: keep the sign, drop the sign's copies, keep exponent and mantissa. */
    static final int HALF_BITS = 0x8FFF_E000;

    /** From a half's mantissa position to a float's. */
    static final int HALF_SHIFT = 13;

    private QuantizedVectors() {
    }

    /**
     * The float species of these kernels, for the other vector code of a decode step (softmax, fp32 dots, tiled
     * attention): one width per JVM, so that a forced {@value #BITS_PROPERTY} does not mix two shapes in the Vector
     * API's shared, type-profiled code.
     */
    public static VectorSpecies<Float> floatSpecies() {
        return FLOATS;
    }

    static VectorSpecies<Float> choose(String bits) {
        if (bits == null || bits.isBlank()) {
            int preferredBits = Math.clamp(FloatVector.SPECIES_PREFERRED.vectorBitSize(), 128, 512);
            return VectorSpecies.of(float.class, VectorShape.forBitSize(preferredBits));
        }
        return switch (bits.strip()) {
            case "128" -> FloatVector.SPECIES_128;
            case "256" -> FloatVector.SPECIES_256;
            case "512" -> FloatVector.SPECIES_512;
            default -> throw new IllegalArgumentException(
                    "system property " + BITS_PROPERTY + " must be 128, 256 or 512, not '" + bits + "'");
        };
    }
}
