package dev.zipcache.quantize;

/**
 * The parameters of one quantization group, stored as IEEE fp16 bits as the official code keeps them in the
 * activation dtype (ZIPCACHE.md §2).
 *
 * @param minimumBits the group's minimum {@code mn}, fp16 bits
 * @param stepBits    the group's step {@code (mx − mn) / (2^b − 1)}, fp16 bits
 */
public record GroupParameters(short minimumBits, short stepBits) {

    /**
     * Rounds {@code minimum} and {@code step} to fp16.
     *
     * @throws IllegalArgumentException when either is not finite once rounded (values beyond fp16's ±65504)
     */
    public static GroupParameters of(float minimum, float step) {
        short minimumBits = Float.floatToFloat16(minimum);
        short stepBits = Float.floatToFloat16(step);
        if (!Float.isFinite(Float.float16ToFloat(minimumBits)) || !Float.isFinite(Float.float16ToFloat(stepBits))) {
            throw new IllegalArgumentException("quantization group with minimum " + minimum + " and step " + step
                    + " does not fit the fp16 parameters (finite values of magnitude at most 65504 are required)");
        }
        return new GroupParameters(minimumBits, stepBits);
    }

    /** The minimum as a float (exactly the stored fp16 value). */
    public float minimum() {
        return Float.float16ToFloat(minimumBits);
    }

    /** The step as a float (exactly the stored fp16 value). */
    public float step() {
        return Float.float16ToFloat(stepBits);
    }
}
