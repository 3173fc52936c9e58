package dev.zipcache.quantize;

import static dev.zipcache.quantize.QuantizedVectors.CODE_LANES;
import static dev.zipcache.quantize.QuantizedVectors.CODE_PARTS;
import static dev.zipcache.quantize.QuantizedVectors.FLOATS;
import static dev.zipcache.quantize.QuantizedVectors.FLOAT_LANES;
import static dev.zipcache.quantize.QuantizedVectors.codes;
import static dev.zipcache.quantize.QuantizedVectors.codesAsFloats;
import static dev.zipcache.quantize.QuantizedVectors.halvesAsFloats;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Vectorized kernels over a run of {@code n} consecutive columns of one row that lie in one plane of the planar layout
 * (so their codes are {@code n} consecutive bytes from {@code packed[index]}, at bit {@code shift}) and, for per-row
 * parameters, in one quantization group. {@link MinMaxQuantizedBlock} cuts a slice into such runs; its
 * {@code dotScalar}/{@code addWeightedScalar} are the scalar twins these are tested against.
 *
 * <p>With one (min, step) per run the algebra keeps the multiply by the parameters out of the loop:
 * {@code Σ c_i·s_i·(q_i·step + min) = step·Σ q_i·(c_i·s_i) + min·Σ c_i·s_i}, with {@code s_i} the channel scale (CST,
 * ZIPCACHE.md §4) or 1.
 */
final class RunKernels {

    private RunKernels() {
    }

    /** {@code step·Σ q_i·query_i + minimum·Σ query_i}. */
    static float rowDot(byte[] packed, int index, int shift, int mask, float step, float minimum,
                        float[] query, int queryIndex, int n) {
        int i = 0;
        float codeSum = 0f;
        float querySum = 0f;
        int bound = wholeLoads(n);
        if (bound > 0) {
            FloatVector codeAccumulator = FloatVector.zero(FLOATS);
            FloatVector queryAccumulator = FloatVector.zero(FLOATS);
            for (; i < bound; i += CODE_LANES) {
                ByteVector codes = codes(packed, index + i, shift, mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    FloatVector q = FloatVector.fromArray(FLOATS, query, queryIndex + i + part * FLOAT_LANES);
                    codeAccumulator = codesAsFloats(codes, part).fma(q, codeAccumulator);
                    queryAccumulator = queryAccumulator.add(q);
                }
            }
            codeSum = codeAccumulator.reduceLanes(VectorOperators.ADD);
            querySum = queryAccumulator.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float q = query[queryIndex + i];
            codeSum += code(packed, index + i, shift, mask) * q;
            querySum += q;
        }
        return step * codeSum + minimum * querySum;
    }

    /** {@code step·Σ q_i·query_i·s_i + minimum·Σ query_i·s_i}, {@code s_i} the fp16 scales from {@code scales[scaleIndex]}. */
    static float rowDotScaled(byte[] packed, int index, int shift, int mask, short[] scales, int scaleIndex,
                              float step, float minimum, float[] query, int queryIndex, int n) {
        int i = 0;
        float codeSum = 0f;
        float querySum = 0f;
        int bound = wholeLoads(n);
        if (bound > 0) {
            FloatVector codeAccumulator = FloatVector.zero(FLOATS);
            FloatVector queryAccumulator = FloatVector.zero(FLOATS);
            for (; i < bound; i += CODE_LANES) {
                ByteVector codes = codes(packed, index + i, shift, mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int lane = i + part * FLOAT_LANES;
                    FloatVector q = FloatVector.fromArray(FLOATS, query, queryIndex + lane)
                            .mul(halvesAsFloats(scales, scaleIndex + lane));
                    codeAccumulator = codesAsFloats(codes, part).fma(q, codeAccumulator);
                    queryAccumulator = queryAccumulator.add(q);
                }
            }
            codeSum = codeAccumulator.reduceLanes(VectorOperators.ADD);
            querySum = queryAccumulator.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float q = query[queryIndex + i] * Float.float16ToFloat(scales[scaleIndex + i]);
            codeSum += code(packed, index + i, shift, mask) * q;
            querySum += q;
        }
        return step * codeSum + minimum * querySum;
    }

    /** {@code out_i += a·q_i + b} (a = weight·step, b = weight·min). */
    static void rowAdd(byte[] packed, int index, int shift, int mask, float a, float b,
                       float[] out, int outIndex, int n) {
        int i = 0;
        int bound = wholeLoads(n);
        if (bound > 0) {
            FloatVector av = FloatVector.broadcast(FLOATS, a);
            FloatVector bv = FloatVector.broadcast(FLOATS, b);
            for (; i < bound; i += CODE_LANES) {
                ByteVector codes = codes(packed, index + i, shift, mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int at = outIndex + i + part * FLOAT_LANES;
                    codesAsFloats(codes, part).fma(av, bv).add(FloatVector.fromArray(FLOATS, out, at))
                            .intoArray(out, at);
                }
            }
        }
        for (; i < n; i++) {
            out[outIndex + i] += a * code(packed, index + i, shift, mask) + b;
        }
    }

    /** {@code out_i += (a·q_i + b)·s_i}, {@code s_i} the fp16 scales from {@code scales[scaleIndex]}. */
    static void rowAddScaled(byte[] packed, int index, int shift, int mask, short[] scales, int scaleIndex,
                             float a, float b, float[] out, int outIndex, int n) {
        int i = 0;
        int bound = wholeLoads(n);
        if (bound > 0) {
            FloatVector av = FloatVector.broadcast(FLOATS, a);
            FloatVector bv = FloatVector.broadcast(FLOATS, b);
            for (; i < bound; i += CODE_LANES) {
                ByteVector codes = codes(packed, index + i, shift, mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int lane = i + part * FLOAT_LANES;
                    int at = outIndex + lane;
                    codesAsFloats(codes, part).fma(av, bv)
                            .fma(halvesAsFloats(scales, scaleIndex + lane), FloatVector.fromArray(FLOATS, out, at))
                            .intoArray(out, at);
                }
            }
        }
        for (; i < n; i++) {
            out[outIndex + i] += (a * code(packed, index + i, shift, mask) + b)
                    * Float.float16ToFloat(scales[scaleIndex + i]);
        }
    }

    /** {@code Σ query_i·(q_i·step_i + min_i)} with per-column fp16 parameters from {@code [parameterIndex]}. */
    static float columnDot(byte[] packed, int index, int shift, int mask, short[] minimums, short[] steps,
                           int parameterIndex, float[] query, int queryIndex, int n) {
        int i = 0;
        float sum = 0f;
        int bound = wholeLoads(n);
        if (bound > 0) {
            FloatVector accumulator = FloatVector.zero(FLOATS);
            for (; i < bound; i += CODE_LANES) {
                ByteVector codes = codes(packed, index + i, shift, mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int lane = i + part * FLOAT_LANES;
                    FloatVector value = codesAsFloats(codes, part).fma(halvesAsFloats(steps, parameterIndex + lane),
                            halvesAsFloats(minimums, parameterIndex + lane));
                    accumulator = value.fma(FloatVector.fromArray(FLOATS, query, queryIndex + lane), accumulator);
                }
            }
            sum = accumulator.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            float value = code(packed, index + i, shift, mask) * Float.float16ToFloat(steps[parameterIndex + i])
                    + Float.float16ToFloat(minimums[parameterIndex + i]);
            sum += query[queryIndex + i] * value;
        }
        return sum;
    }

    /** {@code out_i += weight·(q_i·step_i + min_i)} with per-column fp16 parameters from {@code [parameterIndex]}. */
    static void columnAdd(byte[] packed, int index, int shift, int mask, short[] minimums, short[] steps,
                          int parameterIndex, float weight, float[] out, int outIndex, int n) {
        int i = 0;
        int bound = wholeLoads(n);
        if (bound > 0) {
            FloatVector weights = FloatVector.broadcast(FLOATS, weight);
            for (; i < bound; i += CODE_LANES) {
                ByteVector codes = codes(packed, index + i, shift, mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int lane = i + part * FLOAT_LANES;
                    int at = outIndex + lane;
                    codesAsFloats(codes, part).fma(halvesAsFloats(steps, parameterIndex + lane),
                                    halvesAsFloats(minimums, parameterIndex + lane))
                            .fma(weights, FloatVector.fromArray(FLOATS, out, at))
                            .intoArray(out, at);
                }
            }
        }
        for (; i < n; i++) {
            float value = code(packed, index + i, shift, mask) * Float.float16ToFloat(steps[parameterIndex + i])
                    + Float.float16ToFloat(minimums[parameterIndex + i]);
            out[outIndex + i] += weight * value;
        }
    }

    /** {@code Σ q_i·weights_i}: the code-space half of a score whose parameters were folded into the weights. */
    static float codeDot(byte[] packed, int index, int shift, int mask, float[] weights, int weightIndex, int n) {
        int i = 0;
        float sum = 0f;
        int bound = wholeLoads(n);
        if (bound > 0) {
            FloatVector accumulator = FloatVector.zero(FLOATS);
            for (; i < bound; i += CODE_LANES) {
                ByteVector codes = codes(packed, index + i, shift, mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    accumulator = codesAsFloats(codes, part)
                            .fma(FloatVector.fromArray(FLOATS, weights, weightIndex + i + part * FLOAT_LANES),
                                    accumulator);
                }
            }
            sum = accumulator.reduceLanes(VectorOperators.ADD);
        }
        for (; i < n; i++) {
            sum += code(packed, index + i, shift, mask) * weights[weightIndex + i];
        }
        return sum;
    }

    /** {@code accumulator_i += a·q_i}: a token's codes added to a weighted sum kept in code space. */
    static void codeAccumulate(byte[] packed, int index, int shift, int mask, float a, float[] accumulator,
                               int accumulatorIndex, int n) {
        int i = 0;
        int bound = wholeLoads(n);
        if (bound > 0) {
            FloatVector av = FloatVector.broadcast(FLOATS, a);
            for (; i < bound; i += CODE_LANES) {
                ByteVector codes = codes(packed, index + i, shift, mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int at = accumulatorIndex + i + part * FLOAT_LANES;
                    codesAsFloats(codes, part).fma(av, FloatVector.fromArray(FLOATS, accumulator, at))
                            .intoArray(accumulator, at);
                }
            }
        }
        for (; i < n; i++) {
            accumulator[accumulatorIndex + i] += a * code(packed, index + i, shift, mask);
        }
    }

    /** Whole loads of {@link QuantizedVectors#CODE_LANES} codes that fit in {@code n}. */
    private static int wholeLoads(int n) {
        return n - n % CODE_LANES;
    }

    private static int code(byte[] packed, int index, int shift, int mask) {
        return Byte.toUnsignedInt(packed[index]) >>> shift & mask;
    }
}
