package dev.zipcache.quantize;

/**
 * The quantization primitive every scheme shares (ZIPCACHE.md §2): asymmetric uniform min–max quantization of a
 * group, {@code step = (max − min) / (2^b − 1)}, {@code q = rint((x − min) / step)}, {@code x̂ = q · step + min}.
 *
 * <p>{@code min} and {@code step} are rounded to fp16 first and the codes are computed from the rounded values, so
 * that dequantization reproduces exactly what was encoded against. Rounding is half to even ({@link Math#rint}), as
 * {@code torch.round}. The official code does not clamp; the clamp here only catches float noise and the fp16
 * rounding of {@code min} (a minimum rounded upwards puts the group's smallest value a hair below code 0).
 */
public final class MinMaxQuantization {

    private MinMaxQuantization() {
    }

    /**
     * Checks a bit width.
     *
     * @return {@code bits}
     * @throws IllegalArgumentException unless {@code bits} is 2, 3, 4 or 8
     */
    public static int checkBits(int bits) {
        if (bits == 2 || bits == 3 || bits == 4 || bits == 8) {
            return bits;
        }
        throw new IllegalArgumentException("bits must be 2, 3, 4 or 8, got " + bits);
    }

    /** The largest code at {@code bits}: {@code 2^bits − 1}. */
    public static int maxCode(int bits) {
        return (1 << bits) - 1;
    }

    /**
     * Fits the parameters of a group of {@code count} values {@code stride} apart from {@code values[start]}.
     *
     * @throws IllegalArgumentException when a value is not finite or the parameters do not fit fp16
     */
    public static GroupParameters fit(float[] values, int start, int count, int stride, int bits) {
        float minimum = Float.POSITIVE_INFINITY;
        float maximum = Float.NEGATIVE_INFINITY;
        for (int i = 0, index = start; i < count; i++, index += stride) {
            minimum = Math.min(minimum, values[index]);
            maximum = Math.max(maximum, values[index]);
        }
        return parameters(minimum, maximum, bits);
    }

    /**
     * The parameters of a group whose extremes are {@code minimum} and {@code maximum}.
     *
     * @throws IllegalArgumentException when either is not finite or the parameters do not fit fp16
     */
    public static GroupParameters parameters(float minimum, float maximum, int bits) {
        if (!Float.isFinite(minimum) || !Float.isFinite(maximum)) {
            throw new IllegalArgumentException("cannot quantize a group holding a non-finite value (min " + minimum
                    + ", max " + maximum + ")");
        }
        return GroupParameters.of(minimum, (maximum - minimum) / maxCode(bits));
    }

    /**
     * Encodes a group into {@code codes[codeStart + i · stride]}, with the same indexing as {@link #fit}.
     */
    public static void encode(float[] values, int start, int count, int stride, GroupParameters parameters, int bits,
                              int[] codes, int codeStart) {
        float minimum = parameters.minimum();
        float step = parameters.step();
        int maxCode = maxCode(bits);
        for (int i = 0; i < count; i++) {
            codes[codeStart + i * stride] = code(values[start + i * stride], minimum, step, maxCode);
        }
    }

    /**
     * The code of {@code value}: {@code rint((value − minimum) / step)} within {@code [0, maxCode]}, and 0 when
     * {@code step == 0} (a constant group, which the official code turns into 0/0; code 0 dequantizes to the minimum).
     */
    public static int code(float value, float minimum, float step, int maxCode) {
        if (step == 0f) {
            return 0;
        }
        return Math.clamp((long) Math.rint((value - minimum) / step), 0, maxCode);
    }

    /** {@code code · step + minimum}. */
    public static float dequantize(int code, float minimum, float step) {
        return code * step + minimum;
    }
}
