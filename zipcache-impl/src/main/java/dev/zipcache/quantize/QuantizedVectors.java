package dev.zipcache.quantize;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD shapes of this package's kernels, chosen in this one place, and the small conversions they share.
 *
 * <p>The float width is {@link FloatVector#SPECIES_PREFERRED} clamped to 128..512 bits unless the system property
 * {@value #BITS_PROPERTY} (the engine's, so that one JVM uses one width) names 128, 256 or 512.
 */
final class QuantizedVectors {

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
     * fp16 bits moved into float position ({@code << 13}) read as a float 2^112 too small: 112 = 127 − 15 is the
     * difference of the exponent biases. Multiplying back is exact for normal and subnormal halves alike.
     */
    private static final float HALF_EXPONENT_REBIAS = 0x1p112f;

    /** After {@code << 13} of a sign-extended half: keep the sign, drop the sign's copies, keep exponent and mantissa. */
    private static final int HALF_SIGN_EXPONENT_MANTISSA = 0x8FFF_E000;

    private static final int HALF_MANTISSA_SHIFT = 13;

    private QuantizedVectors() {
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

    /*
     * The helpers below stay tiny so that C2 inlines them even at cold call sites: a vector passed across a call that
     * is not inlined is boxed on the heap.
     */

    /**
     * {@link #CODE_LANES} codes of one plane from {@code packed[index]}: each byte shifted right by {@code shift} and
     * masked. x86 has no byte shifts, so 16-bit lanes are shifted and the mask clears what crossed from the
     * neighbouring byte.
     */
    static ByteVector codes(byte[] packed, int index, int shift, int mask) {
        return ByteVector.fromArray(CODES, packed, index).reinterpretAsShorts()
                .lanewise(VectorOperators.LSHR, shift).reinterpretAsBytes().and((byte) mask);
    }

    /** Part {@code part} of unsigned byte codes (8-bit codes reach 255) as float lanes. */
    static FloatVector codesAsFloats(ByteVector codes, int part) {
        return (FloatVector) codes.convertShape(VectorOperators.ZERO_EXTEND_B2I, INTS, part)
                .convert(VectorOperators.I2F, 0);
    }

    /** fp16 bits from {@code halves[index]} as float lanes (finite values only; parameters always are). */
    static FloatVector halvesAsFloats(short[] halves, int index) {
        return ((IntVector) ShortVector.fromArray(HALVES, halves, index).convertShape(VectorOperators.S2I, INTS, 0))
                .lanewise(VectorOperators.LSHL, HALF_MANTISSA_SHIFT).and(HALF_SIGN_EXPONENT_MANTISSA)
                .reinterpretAsFloats().mul(HALF_EXPONENT_REBIAS);
    }
}
