package dev.zipcache.engine.tensor;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD vector shapes all kernels of this package use, chosen once per JVM so that every {@code dot} agrees.
 *
 * <p>The float width is {@link FloatVector#SPECIES_PREFERRED} (clamped to 128..512 bits) unless the system property
 * {@value #BITS_PROPERTY} names one of {@code 128}, {@code 256} or {@code 512}. Forcing a width wider than the CPU's
 * is correct but slow (the Vector API then falls back to Java code); forcing a narrower one is how the kernels are
 * tested at the widths other machines use.
 */
final class VectorShapes {

    /** System property that overrides the vector width in bits: 128, 256 or 512. */
    static final String BITS_PROPERTY = "zipcache.vector.bits";

    /** Float lanes of every kernel. */
    static final VectorSpecies<Float> FLOATS = choose(System.getProperty(BITS_PROPERTY), FloatVector.SPECIES_PREFERRED);

    static final int FLOAT_LANES = FLOATS.length();

    /** Same shape as {@link #FLOATS}, for bit manipulation of decoded 16-bit floats. */
    static final VectorSpecies<Integer> INTS = FLOATS.withLanes(int.class);

    /** One 16-bit weight per float lane (F16, BF16). */
    static final VectorSpecies<Short> SHORTS =
            VectorSpecies.of(short.class, VectorShape.forBitSize(FLOAT_LANES * Short.SIZE));

    /**
     * One quantization code per byte lane: as many lanes as floats, but at least 8 because the narrowest byte vector
     * is 64 bits. With 128-bit floats one load of codes therefore feeds two float vectors.
     */
    static final VectorSpecies<Byte> CODES =
            VectorSpecies.of(byte.class, VectorShape.forBitSize(Math.max(FLOAT_LANES, 8) * Byte.SIZE));

    static final int CODE_LANES = CODES.length();

    /** Float vectors per code vector: 1, or 2 with 128-bit floats. */
    static final int CODE_PARTS = CODE_LANES / FLOAT_LANES;

    private VectorShapes() {
    }

    /**
     * The float species for the property value {@code bits} (null when unset), else {@code preferred} clamped to the
     * widths the kernels support.
     *
     * @throws IllegalArgumentException when {@code bits} is set but not 128, 256 or 512
     */
    static VectorSpecies<Float> choose(String bits, VectorSpecies<Float> preferred) {
        if (bits == null || bits.isBlank()) {
            int preferredBits = Math.clamp(preferred.vectorBitSize(), 128, 512);
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
     * The helpers below are deliberately tiny (under C2's MaxInlineSize of 35 bytecodes), so that they are inlined
     * even at call sites C2 deems cold: a vector passed to or returned from a call that is not inlined is boxed on
     * the heap, which makes a kernel several times slower. For the same reason callers loop over the parts.
     */

    /** Part {@code part} (0 ≤ part < {@link #CODE_PARTS}) of the signed byte codes, widened to float lanes. */
    static FloatVector codesAsFloats(ByteVector codes, int part) {
        return (FloatVector) codes.convertShape(VectorOperators.B2F, FLOATS, part);
    }

    /** {@code accumulator + codes(part) · x[xIndex ..]}, lane-wise. */
    static FloatVector fmaCodes(ByteVector codes, int part, float[] x, int xIndex, FloatVector accumulator) {
        return codesAsFloats(codes, part).fma(FloatVector.fromArray(FLOATS, x, xIndex), accumulator);
    }

    /**
     * Each byte of {@code bytes} shifted right (logically) by {@code bits} &lt; 8, then masked with {@code mask}
     * whose set bits must lie below {@code 8 − bits}. x86 has no byte shifts, so shift 16-bit lanes instead: the
     * bits that cross from the neighbouring byte are cleared by the mask.
     */
    static ByteVector shiftRightAndMask(ByteVector bytes, int bits, int mask) {
        return bytes.reinterpretAsShorts().lanewise(VectorOperators.LSHR, bits).reinterpretAsBytes().and((byte) mask);
    }

    /** As {@link #shiftRightAndMask}, shifting left; the mask's set bits must lie at or above {@code bits}. */
    static ByteVector shiftLeftAndMask(ByteVector bytes, int bits, int mask) {
        return bytes.reinterpretAsShorts().lanewise(VectorOperators.LSHL, bits).reinterpretAsBytes().and((byte) mask);
    }
}
