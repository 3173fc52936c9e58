package dev.zipcache.engine.tensor;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The SIMD vector shapes all kernels of this package use, chosen once per JVM so that every {@code dot} agrees.
 *
 * <p>The float width is {@link FloatVector#SPECIES_PREFERRED} (clamped to 128..512 bits) unless the system property
 * {@value #BITS_PROPERTY} names one of {@code 128}, {@code 256} or {@code 512}. Forcing a width wider than the CPU's
 * is correct but slow (the Vector API then falls back to Java code); forcing a narrower one is how the kernels are
 * tested at the widths other machines use.
 *
 * <p>The kernels write out their code widening ({@code B2F}), nibble shifts (x86 has no byte shifts: 16-bit lanes are
 * shifted and a mask clears what crossed from the neighbouring byte) and fp16/bf16 widening in each loop rather than
 * calling helpers: a vector that crosses a call C2 does not inline is boxed on the heap, and C2 declines small helpers
 * at call sites it profiled as rare or once a large kernel exhausts its inlining budget, then keeps that code. For
 * the same reason a loop-carried accumulator is always the argument of a lane operation, never its receiver
 * ({@code acc = x.add(acc)}): without a receiver type profile the receiver's class is unknown and the operation is a
 * virtual call. {@code MatmulAllocationTest} checks both.
 */
public final class VectorShapes {

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
    /**
     * The float species of the weight kernels, for the engine's other vector code (the prefill's panels, the fp32
     * dots): one width per JVM, so that a forced {@value #BITS_PROPERTY} does not mix two shapes in the Vector API's
     * shared, type-profiled code.
     */
    public static VectorSpecies<Float> floatSpecies() {
        return FLOATS;
    }

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
}
