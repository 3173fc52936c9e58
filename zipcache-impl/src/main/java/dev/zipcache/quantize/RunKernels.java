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

    /**
     * {@link #codeDot} for four rows whose runs start at {@code index0..index3} with the same shift: each weight
     * vector is loaded once for the four rows, and each row keeps its own accumulator.
     */
    static void codeDot4(byte[] packed, int index0, int index1, int index2, int index3, int shift, int mask,
                         float[] weights, int weightIndex, int n, float[] sums) {
        int i = 0;
        int bound = wholeLoads(n);
        FloatVector s0 = FloatVector.zero(FLOATS);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        for (; i < bound; i += CODE_LANES) {
            ByteVector c0 = codes(packed, index0 + i, shift, mask);
            ByteVector c1 = codes(packed, index1 + i, shift, mask);
            ByteVector c2 = codes(packed, index2 + i, shift, mask);
            ByteVector c3 = codes(packed, index3 + i, shift, mask);
            for (int part = 0; part < CODE_PARTS; part++) {
                FloatVector w = FloatVector.fromArray(FLOATS, weights, weightIndex + i + part * FLOAT_LANES);
                s0 = codesAsFloats(c0, part).fma(w, s0);
                s1 = codesAsFloats(c1, part).fma(w, s1);
                s2 = codesAsFloats(c2, part).fma(w, s2);
                s3 = codesAsFloats(c3, part).fma(w, s3);
            }
        }
        float t0 = s0.reduceLanes(VectorOperators.ADD);
        float t1 = s1.reduceLanes(VectorOperators.ADD);
        float t2 = s2.reduceLanes(VectorOperators.ADD);
        float t3 = s3.reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            float w = weights[weightIndex + i];
            t0 += code(packed, index0 + i, shift, mask) * w;
            t1 += code(packed, index1 + i, shift, mask) * w;
            t2 += code(packed, index2 + i, shift, mask) * w;
            t3 += code(packed, index3 + i, shift, mask) * w;
        }
        sums[0] = t0;
        sums[1] = t1;
        sums[2] = t2;
        sums[3] = t3;
    }

    /**
     * {@link #codeAccumulate} for four rows at once: the accumulator is loaded and stored once for four rows' codes.
     */
    static void codeAccumulate4(byte[] packed, int index0, int index1, int index2, int index3, int shift, int mask,
                                float a0, float a1, float a2, float a3, float[] accumulator, int accumulatorIndex,
                                int n) {
        int i = 0;
        int bound = wholeLoads(n);
        if (bound > 0) {
            FloatVector v0 = FloatVector.broadcast(FLOATS, a0);
            FloatVector v1 = FloatVector.broadcast(FLOATS, a1);
            FloatVector v2 = FloatVector.broadcast(FLOATS, a2);
            FloatVector v3 = FloatVector.broadcast(FLOATS, a3);
            for (; i < bound; i += CODE_LANES) {
                ByteVector c0 = codes(packed, index0 + i, shift, mask);
                ByteVector c1 = codes(packed, index1 + i, shift, mask);
                ByteVector c2 = codes(packed, index2 + i, shift, mask);
                ByteVector c3 = codes(packed, index3 + i, shift, mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int at = accumulatorIndex + i + part * FLOAT_LANES;
                    codesAsFloats(c0, part).fma(v0, codesAsFloats(c1, part).fma(v1,
                                    codesAsFloats(c2, part).fma(v2, codesAsFloats(c3, part).fma(v3,
                                            FloatVector.fromArray(FLOATS, accumulator, at)))))
                            .intoArray(accumulator, at);
                }
            }
        }
        for (; i < n; i++) {
            accumulator[accumulatorIndex + i] += a0 * code(packed, index0 + i, shift, mask)
                    + a1 * code(packed, index1 + i, shift, mask) + a2 * code(packed, index2 + i, shift, mask)
                    + a3 * code(packed, index3 + i, shift, mask);
        }
    }

    /**
     * {@link #codeAccumulate4} over a run that crosses parameter groups of {@code groupSize} codes (a multiple of
     * {@link QuantizedVectors#CODE_LANES} when vectorized): row k's factor for code i is
     * {@code factors[4·g + k]} with {@code g = (firstCode + i) / groupSize − firstGroup}. One call per four rows
     * instead of one per group keeps short groups (KIVI's 32 channels) from paying the call overhead.
     */
    static void codeAccumulate4Grouped(byte[] packed, int index0, int index1, int index2, int index3, int shift,
                                       int mask, float[] factors, int firstCode, int groupSize, float[] accumulator,
                                       int accumulatorIndex, int n) {
        int i = 0;
        int firstGroup = firstCode / groupSize;
        boolean aligned = firstCode % CODE_LANES == 0 && groupSize % CODE_LANES == 0;
        int bound = aligned ? wholeLoads(n) : 0;
        for (; i < bound; i += CODE_LANES) {
            int g = 4 * ((firstCode + i) / groupSize - firstGroup);
            FloatVector v0 = FloatVector.broadcast(FLOATS, factors[g]);
            FloatVector v1 = FloatVector.broadcast(FLOATS, factors[g + 1]);
            FloatVector v2 = FloatVector.broadcast(FLOATS, factors[g + 2]);
            FloatVector v3 = FloatVector.broadcast(FLOATS, factors[g + 3]);
            ByteVector c0 = codes(packed, index0 + i, shift, mask);
            ByteVector c1 = codes(packed, index1 + i, shift, mask);
            ByteVector c2 = codes(packed, index2 + i, shift, mask);
            ByteVector c3 = codes(packed, index3 + i, shift, mask);
            for (int part = 0; part < CODE_PARTS; part++) {
                int at = accumulatorIndex + i + part * FLOAT_LANES;
                codesAsFloats(c0, part).fma(v0, codesAsFloats(c1, part).fma(v1,
                                codesAsFloats(c2, part).fma(v2, codesAsFloats(c3, part).fma(v3,
                                        FloatVector.fromArray(FLOATS, accumulator, at)))))
                        .intoArray(accumulator, at);
            }
        }
        for (; i < n; i++) {
            int g = 4 * ((firstCode + i) / groupSize - firstGroup);
            accumulator[accumulatorIndex + i] += factors[g] * code(packed, index0 + i, shift, mask)
                    + factors[g + 1] * code(packed, index1 + i, shift, mask)
                    + factors[g + 2] * code(packed, index2 + i, shift, mask)
                    + factors[g + 3] * code(packed, index3 + i, shift, mask);
        }
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
