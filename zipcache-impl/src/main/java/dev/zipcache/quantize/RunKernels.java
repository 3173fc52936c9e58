package dev.zipcache.quantize;

import static dev.zipcache.quantize.QuantizedVectors.CODES;
import static dev.zipcache.quantize.QuantizedVectors.CODE_LANES;
import static dev.zipcache.quantize.QuantizedVectors.CODE_PARTS;
import static dev.zipcache.quantize.QuantizedVectors.FLOATS;
import static dev.zipcache.quantize.QuantizedVectors.FLOAT_LANES;
import static dev.zipcache.quantize.QuantizedVectors.HALF_BITS;
import static dev.zipcache.quantize.QuantizedVectors.HALF_REBIAS;
import static dev.zipcache.quantize.QuantizedVectors.HALF_SHIFT;
import static dev.zipcache.quantize.QuantizedVectors.HALVES;
import static dev.zipcache.quantize.QuantizedVectors.INTS;
import static jdk.incubator.vector.VectorOperators.I2F;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.LSHR;
import static jdk.incubator.vector.VectorOperators.S2I;
import static jdk.incubator.vector.VectorOperators.ZERO_EXTEND_B2I;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
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

    /**
     * Index tables of the transposing reduction in {@link #codeDot4x4}, one pair per level: a level turns two vectors
     * that each hold m sums as m runs of w lanes into one vector of 2m sums of w/2 lanes, lane j of the result being
     * {@code low[j]} + {@code high[j]} selected from the pair (indexes ≥ the lane count select from the second).
     */
    static final float[][] FOLD_LOW = foldIndexes(0);
    static final float[][] FOLD_HIGH = foldIndexes(1);

    /**
     * Gather map of {@link #scoreRows4}: lane l reads row l of one head from sums that {@link #codeDot4x4} left as
     * blocks of 16 (four heads × four rows).
     */
    private static final int[] SUM_ROWS = sumRows();

    private RunKernels() {
    }

    private static int[] sumRows() {
        int[] map = new int[FLOAT_LANES];
        for (int lane = 0; lane < FLOAT_LANES; lane++) {
            map[lane] = 16 * (lane / 4) + lane % 4;
        }
        return map;
    }

    private static float[][] foldIndexes(int half) {
        int levels = Integer.numberOfTrailingZeros(FLOAT_LANES);
        float[][] indexes = new float[levels][FLOAT_LANES];
        for (int level = 0; level < levels; level++) {
            int sums = 1 << level;
            int width = FLOAT_LANES / sums;
            int folded = width / 2;
            for (int lane = 0; lane < FLOAT_LANES; lane++) {
                int sum = lane / folded;
                int source = sum < sums ? 0 : FLOAT_LANES;
                indexes[level][lane] = source + (sum % sums) * width + lane % folded + half * folded;
            }
        }
        return indexes;
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
                ByteVector codes = ByteVector.fromArray(CODES, packed, index + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    FloatVector q = FloatVector.fromArray(FLOATS, query, queryIndex + i + part * FLOAT_LANES);
                    FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    codeAccumulator = code.fma(q, codeAccumulator);
                    queryAccumulator = q.add(queryAccumulator);
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
                ByteVector codes = ByteVector.fromArray(CODES, packed, index + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int lane = i + part * FLOAT_LANES;
                    FloatVector scale = ((IntVector) ShortVector.fromArray(HALVES, scales, scaleIndex + lane)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    FloatVector q = FloatVector.fromArray(FLOATS, query, queryIndex + lane).mul(scale);
                    FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    codeAccumulator = code.fma(q, codeAccumulator);
                    queryAccumulator = q.add(queryAccumulator);
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
                ByteVector codes = ByteVector.fromArray(CODES, packed, index + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int at = outIndex + i + part * FLOAT_LANES;
                    FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    code.fma(av, bv).add(FloatVector.fromArray(FLOATS, out, at)).intoArray(out, at);
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
                ByteVector codes = ByteVector.fromArray(CODES, packed, index + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int lane = i + part * FLOAT_LANES;
                    int at = outIndex + lane;
                    FloatVector scale = ((IntVector) ShortVector.fromArray(HALVES, scales, scaleIndex + lane)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    code.fma(av, bv).fma(scale, FloatVector.fromArray(FLOATS, out, at)).intoArray(out, at);
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
                ByteVector codes = ByteVector.fromArray(CODES, packed, index + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int lane = i + part * FLOAT_LANES;
                    FloatVector step = ((IntVector) ShortVector.fromArray(HALVES, steps, parameterIndex + lane)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    FloatVector minimum = ((IntVector) ShortVector.fromArray(HALVES, minimums, parameterIndex + lane)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    FloatVector value = code.fma(step, minimum);
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
                ByteVector codes = ByteVector.fromArray(CODES, packed, index + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int lane = i + part * FLOAT_LANES;
                    int at = outIndex + lane;
                    FloatVector step = ((IntVector) ShortVector.fromArray(HALVES, steps, parameterIndex + lane)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    FloatVector minimum = ((IntVector) ShortVector.fromArray(HALVES, minimums, parameterIndex + lane)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    code.fma(step, minimum).fma(weights, FloatVector.fromArray(FLOATS, out, at)).intoArray(out, at);
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
                ByteVector codes = ByteVector.fromArray(CODES, packed, index + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    accumulator = code
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
            ByteVector c0 = ByteVector.fromArray(CODES, packed, index0 + i).reinterpretAsShorts()
                    .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
            ByteVector c1 = ByteVector.fromArray(CODES, packed, index1 + i).reinterpretAsShorts()
                    .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
            ByteVector c2 = ByteVector.fromArray(CODES, packed, index2 + i).reinterpretAsShorts()
                    .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
            ByteVector c3 = ByteVector.fromArray(CODES, packed, index3 + i).reinterpretAsShorts()
                    .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
            for (int part = 0; part < CODE_PARTS; part++) {
                FloatVector w = FloatVector.fromArray(FLOATS, weights, weightIndex + i + part * FLOAT_LANES);
                s0 = ((FloatVector) c0.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0)).fma(w, s0);
                s1 = ((FloatVector) c1.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0)).fma(w, s1);
                s2 = ((FloatVector) c2.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0)).fma(w, s2);
                s3 = ((FloatVector) c3.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0)).fma(w, s3);
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
                ByteVector c0 = ByteVector.fromArray(CODES, packed, index0 + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                ByteVector c1 = ByteVector.fromArray(CODES, packed, index1 + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                ByteVector c2 = ByteVector.fromArray(CODES, packed, index2 + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                ByteVector c3 = ByteVector.fromArray(CODES, packed, index3 + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int at = accumulatorIndex + i + part * FLOAT_LANES;
                    FloatVector f0 = (FloatVector) c0.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    FloatVector f1 = (FloatVector) c1.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    FloatVector f2 = (FloatVector) c2.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    FloatVector f3 = (FloatVector) c3.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    f0.fma(v0, f1.fma(v1, f2.fma(v2, f3.fma(v3, FloatVector.fromArray(FLOATS, accumulator, at)))))
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
            ByteVector c0 = ByteVector.fromArray(CODES, packed, index0 + i).reinterpretAsShorts()
                    .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
            ByteVector c1 = ByteVector.fromArray(CODES, packed, index1 + i).reinterpretAsShorts()
                    .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
            ByteVector c2 = ByteVector.fromArray(CODES, packed, index2 + i).reinterpretAsShorts()
                    .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
            ByteVector c3 = ByteVector.fromArray(CODES, packed, index3 + i).reinterpretAsShorts()
                    .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
            for (int part = 0; part < CODE_PARTS; part++) {
                int at = accumulatorIndex + i + part * FLOAT_LANES;
                FloatVector f0 = (FloatVector) c0.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                FloatVector f1 = (FloatVector) c1.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                FloatVector f2 = (FloatVector) c2.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                FloatVector f3 = (FloatVector) c3.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                f0.fma(v0, f1.fma(v1, f2.fma(v2, f3.fma(v3, FloatVector.fromArray(FLOATS, accumulator, at)))))
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
                ByteVector codes = ByteVector.fromArray(CODES, packed, index + i).reinterpretAsShorts()
                        .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                for (int part = 0; part < CODE_PARTS; part++) {
                    int at = accumulatorIndex + i + part * FLOAT_LANES;
                    FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    code.fma(av, FloatVector.fromArray(FLOATS, accumulator, at)).intoArray(accumulator, at);
                }
            }
        }
        for (; i < n; i++) {
            accumulator[accumulatorIndex + i] += a * code(packed, index + i, shift, mask);
        }
    }

    /**
     * {@link #codeDot4} for four rows against four weight vectors (one per query head of a GQA group), over a head
     * slice's {@link PlaneRuns runs}: one loop over their whole loads, then their tails. Each row's codes are
     * unpacked once for the four heads; the sixteen sums stay in registers across the planes and fold into one vector
     * at the end. Row k's codes of run j start at {@code rowIndex + k · rowStride + runs.offset(j)}; head h's weights
     * for it at {@code weights[runs.weightOffset(j) + h · weightStride ..]}. {@code sums[sumsOffset + 4·h + k]}
     * receives head h's sum over row k.
     */
    static void codeDot4x4(byte[] packed, int rowIndex, int rowStride, int mask, PlaneRuns runs, float[] weights,
                           int weightStride, float[] sums, int sumsOffset) {
        FloatVector s00 = FloatVector.zero(FLOATS), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        int w1 = weightStride;
        int w2 = w1 + weightStride;
        int w3 = w2 + weightStride;
        // Each load of a row's bytes is widened once and serves the planes it holds: every plane where the slice is
        // whole planes (a 2-bit row's 16 bytes hold 64 codes, a plane's bytes apart in columns), otherwise one, a run's
        // chunk at its own shift.
        boolean whole = runs.wholePlanes();
        int loads = whole ? runs.planeBytes() / CODE_LANES : runs.chunkCount();
        int planesPerLoad = whole ? Byte.SIZE / runs.bits() : 1;
        for (int load = 0; load < loads; load++) {
            int index = rowIndex + (whole ? load * CODE_LANES : runs.chunkOffset(load));
            int firstShift = whole ? 0 : runs.chunkShift(load);
            int firstLane = whole ? load * CODE_LANES : runs.chunkWeightOffset(load);
            ByteVector b0 = ByteVector.fromArray(CODES, packed, index);
            ByteVector b1 = ByteVector.fromArray(CODES, packed, index + rowStride);
            ByteVector b2 = ByteVector.fromArray(CODES, packed, index + 2 * rowStride);
            ByteVector b3 = ByteVector.fromArray(CODES, packed, index + 3 * rowStride);
            for (int part = 0; part < CODE_PARTS; part++) {
                IntVector i0 = (IntVector) b0.convertShape(ZERO_EXTEND_B2I, INTS, part);
                IntVector i1 = (IntVector) b1.convertShape(ZERO_EXTEND_B2I, INTS, part);
                IntVector i2 = (IntVector) b2.convertShape(ZERO_EXTEND_B2I, INTS, part);
                IntVector i3 = (IntVector) b3.convertShape(ZERO_EXTEND_B2I, INTS, part);
                for (int plane = 0, shift = firstShift, lane = firstLane + part * FLOAT_LANES; plane < planesPerLoad;
                     plane++, shift += runs.bits(), lane += runs.planeBytes()) {
                    FloatVector c0 = (FloatVector) i0.lanewise(LSHR, shift).and(mask).convert(I2F, 0);
                    FloatVector c1 = (FloatVector) i1.lanewise(LSHR, shift).and(mask).convert(I2F, 0);
                    FloatVector c2 = (FloatVector) i2.lanewise(LSHR, shift).and(mask).convert(I2F, 0);
                    FloatVector c3 = (FloatVector) i3.lanewise(LSHR, shift).and(mask).convert(I2F, 0);
                    FloatVector w = FloatVector.fromArray(FLOATS, weights, lane);
                    s00 = c0.fma(w, s00);
                    s01 = c1.fma(w, s01);
                    s02 = c2.fma(w, s02);
                    s03 = c3.fma(w, s03);
                    w = FloatVector.fromArray(FLOATS, weights, w1 + lane);
                    s10 = c0.fma(w, s10);
                    s11 = c1.fma(w, s11);
                    s12 = c2.fma(w, s12);
                    s13 = c3.fma(w, s13);
                    w = FloatVector.fromArray(FLOATS, weights, w2 + lane);
                    s20 = c0.fma(w, s20);
                    s21 = c1.fma(w, s21);
                    s22 = c2.fma(w, s22);
                    s23 = c3.fma(w, s23);
                    w = FloatVector.fromArray(FLOATS, weights, w3 + lane);
                    s30 = c0.fma(w, s30);
                    s31 = c1.fma(w, s31);
                    s32 = c2.fma(w, s32);
                    s33 = c3.fma(w, s33);
                }
            }
        }
        // The sixteen sums fold into sums[4h + k] by a transposing tree (each level: two table selects and an add per
        // pair, halving the lanes per sum) instead of a lane reduction per sum, which took ~40% of this kernel.
        FloatVector low = FloatVector.fromArray(FLOATS, FOLD_LOW[0], 0);
        FloatVector high = FloatVector.fromArray(FLOATS, FOLD_HIGH[0], 0);
        FloatVector p0 = low.selectFrom(s00, s01).add(high.selectFrom(s00, s01));
        FloatVector p1 = low.selectFrom(s02, s03).add(high.selectFrom(s02, s03));
        FloatVector p2 = low.selectFrom(s10, s11).add(high.selectFrom(s10, s11));
        FloatVector p3 = low.selectFrom(s12, s13).add(high.selectFrom(s12, s13));
        FloatVector p4 = low.selectFrom(s20, s21).add(high.selectFrom(s20, s21));
        FloatVector p5 = low.selectFrom(s22, s23).add(high.selectFrom(s22, s23));
        FloatVector p6 = low.selectFrom(s30, s31).add(high.selectFrom(s30, s31));
        FloatVector p7 = low.selectFrom(s32, s33).add(high.selectFrom(s32, s33));
        low = FloatVector.fromArray(FLOATS, FOLD_LOW[1], 0);
        high = FloatVector.fromArray(FLOATS, FOLD_HIGH[1], 0);
        FloatVector q0 = low.selectFrom(p0, p1).add(high.selectFrom(p0, p1));
        FloatVector q1 = low.selectFrom(p2, p3).add(high.selectFrom(p2, p3));
        FloatVector q2 = low.selectFrom(p4, p5).add(high.selectFrom(p4, p5));
        FloatVector q3 = low.selectFrom(p6, p7).add(high.selectFrom(p6, p7));
        if (FLOAT_LANES == 4) {
            q0.intoArray(sums, sumsOffset);
            q1.intoArray(sums, sumsOffset + 4);
            q2.intoArray(sums, sumsOffset + 8);
            q3.intoArray(sums, sumsOffset + 12);
        } else {
            low = FloatVector.fromArray(FLOATS, FOLD_LOW[2], 0);
            high = FloatVector.fromArray(FLOATS, FOLD_HIGH[2], 0);
            FloatVector r0 = low.selectFrom(q0, q1).add(high.selectFrom(q0, q1));
            FloatVector r1 = low.selectFrom(q2, q3).add(high.selectFrom(q2, q3));
            if (FLOAT_LANES == 8) {
                r0.intoArray(sums, sumsOffset);
                r1.intoArray(sums, sumsOffset + 8);
            } else {
                low = FloatVector.fromArray(FLOATS, FOLD_LOW[3], 0);
                high = FloatVector.fromArray(FLOATS, FOLD_HIGH[3], 0);
                low.selectFrom(r0, r1).add(high.selectFrom(r0, r1)).intoArray(sums, sumsOffset);
            }
        }
        if (!runs.hasTails()) {
            return;
        }
        for (int run = 0; run < runs.count(); run++) {
            int index = rowIndex + runs.offset(run);
            int shift = runs.shift(run);
            for (int i = wholeLoads(runs.length(run)); i < runs.length(run); i++) {
                for (int k = 0; k < 4; k++) {
                    int q = code(packed, index + k * rowStride + i, shift, mask);
                    for (int h = 0; h < 4; h++) {
                        sums[sumsOffset + 4 * h + k] += q * weights[runs.weightOffset(run) + h * weightStride + i];
                    }
                }
            }
        }
    }

    /**
     * The group key kernels' scores from their sums, for {@code rows} rows (a multiple of four) that
     * {@link #codeDot4x4} (or {@link HalfVectors#dots4}'s twin) left at {@code sums[16·(k / 4) + 4·h + k mod 4]}:
     * {@code out[outOffset + h · outStride + k] = step_k · sum + minimum_k · constants[h]}, with one fp16 (step,
     * minimum) per row from {@code [parameterIndex]} on,
     * {@code parameterStride} apart, or {@code sum + constants[h]} where {@code steps} is null (per-column parameters
     * are in the weights and constants already). A vector of rows at a time, read from the sums by a gather.
     */
    static void scoreRows4(float[] sums, int rows, short[] steps, short[] minimums, int parameterIndex,
                           int parameterStride, float[] constants, float[] out, int outOffset, int outStride) {
        int o1 = outOffset + outStride;
        int o2 = o1 + outStride;
        int o3 = o2 + outStride;
        FloatVector c0 = FloatVector.broadcast(FLOATS, constants[0]);
        FloatVector c1 = FloatVector.broadcast(FLOATS, constants[1]);
        FloatVector c2 = FloatVector.broadcast(FLOATS, constants[2]);
        FloatVector c3 = FloatVector.broadcast(FLOATS, constants[3]);
        int k = 0;
        for (int bound = steps == null || parameterStride == 1 ? rows - FLOAT_LANES : -1; k <= bound;
             k += FLOAT_LANES) {
            int at = 4 * k;
            FloatVector s0 = FloatVector.fromArray(FLOATS, sums, at, SUM_ROWS, 0);
            FloatVector s1 = FloatVector.fromArray(FLOATS, sums, at + 4, SUM_ROWS, 0);
            FloatVector s2 = FloatVector.fromArray(FLOATS, sums, at + 8, SUM_ROWS, 0);
            FloatVector s3 = FloatVector.fromArray(FLOATS, sums, at + 12, SUM_ROWS, 0);
            if (steps == null) {
                s0.add(c0).intoArray(out, outOffset + k);
                s1.add(c1).intoArray(out, o1 + k);
                s2.add(c2).intoArray(out, o2 + k);
                s3.add(c3).intoArray(out, o3 + k);
            } else {
                FloatVector step = ((IntVector) ShortVector.fromArray(HALVES, steps, parameterIndex + k)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
                FloatVector minimum = ((IntVector) ShortVector.fromArray(HALVES, minimums, parameterIndex + k)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
                s0.fma(step, minimum.mul(c0)).intoArray(out, outOffset + k);
                s1.fma(step, minimum.mul(c1)).intoArray(out, o1 + k);
                s2.fma(step, minimum.mul(c2)).intoArray(out, o2 + k);
                s3.fma(step, minimum.mul(c3)).intoArray(out, o3 + k);
            }
        }
        for (; k < rows; k++) {
            int parameter = parameterIndex + k * parameterStride;
            float step = steps == null ? 1f : Float.float16ToFloat(steps[parameter]);
            float minimum = steps == null ? 1f : Float.float16ToFloat(minimums[parameter]);
            int at = 16 * (k / 4) + k % 4;
            for (int h = 0; h < 4; h++) {
                out[outOffset + h * outStride + k] = step * sums[at + 4 * h] + minimum * constants[h];
            }
        }
    }

    /**
     * {@link #codeAccumulate} of {@code rowCount} rows for four query heads over the {@link PlaneRuns runs} of a head
     * slice: {@code accumulator[h · accumulatorStride + runs.weightOffset(j) + i] += Σ_t factors[h · factorStride + t]
     * · q_t,i}, with row t's codes of run j at {@code rowIndex + t · rowStride + runs.offset(j)}. Each code is unpacked
     * once for the four heads, and the sums stay in registers over all the rows: the accumulator is read and written
     * once per call, not once per row. Four vectors of channels go through the rows together, so that each row's four
     * factors are broadcast once per four vectors (a broadcast per multiply-add cost as much as the multiply-adds'
     * code unpacking); what is left of the slice goes one load of codes at a time. Callers keep {@code rowCount}
     * small enough for the rows' codes to stay in the first-level cache, since every pass walks them again.
     */
    static void codeAccumulateRows4(byte[] packed, int rowIndex, int rowStride, int rowCount, int mask,
                                    PlaneRuns runs, float[] factors, int factorStride, float[] accumulator,
                                    int accumulatorStride) {
        int f1 = factorStride;
        int f2 = f1 + factorStride;
        int f3 = f2 + factorStride;
        int o1 = accumulatorStride;
        int o2 = o1 + accumulatorStride;
        int o3 = o2 + accumulatorStride;
        // A pass takes four float vectors of channels: four loads of codes, or two loads of two parts each.
        int chunksPerPass = 4 / CODE_PARTS;
        int chunk = 0;
        for (; chunk + chunksPerPass <= runs.chunkCount(); chunk += chunksPerPass) {
            int chunkB = CODE_PARTS == 1 ? chunk + 1 : chunk;
            int chunkC = CODE_PARTS == 1 ? chunk + 2 : chunk + 1;
            int chunkD = CODE_PARTS == 1 ? chunk + 3 : chunk + 1;
            int index0 = rowIndex + runs.chunkOffset(chunk);
            int index1 = rowIndex + runs.chunkOffset(chunkB);
            int index2 = rowIndex + runs.chunkOffset(chunkC);
            int index3 = rowIndex + runs.chunkOffset(chunkD);
            int shift0 = runs.chunkShift(chunk);
            int shift1 = runs.chunkShift(chunkB);
            int shift2 = runs.chunkShift(chunkC);
            int shift3 = runs.chunkShift(chunkD);
            int lane0 = runs.chunkWeightOffset(chunk);
            int lane1 = runs.chunkWeightOffset(chunkB) + (CODE_PARTS - 1) * FLOAT_LANES;
            int lane2 = runs.chunkWeightOffset(chunkC);
            int lane3 = runs.chunkWeightOffset(chunkD) + (CODE_PARTS - 1) * FLOAT_LANES;
            FloatVector a00 = FloatVector.zero(FLOATS), a01 = a00, a02 = a00, a03 = a00;
            FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
            FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            for (int t = 0, at = 0; t < rowCount; t++, at += rowStride) {
                ByteVector b0 = ByteVector.fromArray(CODES, packed, index0 + at).reinterpretAsShorts()
                        .lanewise(LSHR, shift0).reinterpretAsBytes().and((byte) mask);
                ByteVector b2 = ByteVector.fromArray(CODES, packed, index2 + at).reinterpretAsShorts()
                        .lanewise(LSHR, shift2).reinterpretAsBytes().and((byte) mask);
                ByteVector b1 = b0;
                ByteVector b3 = b2;
                if (CODE_PARTS == 1) {
                    b1 = ByteVector.fromArray(CODES, packed, index1 + at).reinterpretAsShorts()
                            .lanewise(LSHR, shift1).reinterpretAsBytes().and((byte) mask);
                    b3 = ByteVector.fromArray(CODES, packed, index3 + at).reinterpretAsShorts()
                            .lanewise(LSHR, shift3).reinterpretAsBytes().and((byte) mask);
                }
                FloatVector c0 = (FloatVector) b0.convertShape(ZERO_EXTEND_B2I, INTS, 0).convert(I2F, 0);
                FloatVector c1 = (FloatVector) b1.convertShape(ZERO_EXTEND_B2I, INTS, CODE_PARTS - 1)
                        .convert(I2F, 0);
                FloatVector c2 = (FloatVector) b2.convertShape(ZERO_EXTEND_B2I, INTS, 0).convert(I2F, 0);
                FloatVector c3 = (FloatVector) b3.convertShape(ZERO_EXTEND_B2I, INTS, CODE_PARTS - 1)
                        .convert(I2F, 0);
                FloatVector w = FloatVector.broadcast(FLOATS, factors[t]);
                a00 = c0.fma(w, a00);
                a01 = c1.fma(w, a01);
                a02 = c2.fma(w, a02);
                a03 = c3.fma(w, a03);
                w = FloatVector.broadcast(FLOATS, factors[f1 + t]);
                a10 = c0.fma(w, a10);
                a11 = c1.fma(w, a11);
                a12 = c2.fma(w, a12);
                a13 = c3.fma(w, a13);
                w = FloatVector.broadcast(FLOATS, factors[f2 + t]);
                a20 = c0.fma(w, a20);
                a21 = c1.fma(w, a21);
                a22 = c2.fma(w, a22);
                a23 = c3.fma(w, a23);
                w = FloatVector.broadcast(FLOATS, factors[f3 + t]);
                a30 = c0.fma(w, a30);
                a31 = c1.fma(w, a31);
                a32 = c2.fma(w, a32);
                a33 = c3.fma(w, a33);
            }
            // The loaded accumulator is the receiver: the sums are loop phis (see QuantizedVectors).
            FloatVector.fromArray(FLOATS, accumulator, lane0).add(a00).intoArray(accumulator, lane0);
            FloatVector.fromArray(FLOATS, accumulator, lane1).add(a01).intoArray(accumulator, lane1);
            FloatVector.fromArray(FLOATS, accumulator, lane2).add(a02).intoArray(accumulator, lane2);
            FloatVector.fromArray(FLOATS, accumulator, lane3).add(a03).intoArray(accumulator, lane3);
            FloatVector.fromArray(FLOATS, accumulator, o1 + lane0).add(a10).intoArray(accumulator, o1 + lane0);
            FloatVector.fromArray(FLOATS, accumulator, o1 + lane1).add(a11).intoArray(accumulator, o1 + lane1);
            FloatVector.fromArray(FLOATS, accumulator, o1 + lane2).add(a12).intoArray(accumulator, o1 + lane2);
            FloatVector.fromArray(FLOATS, accumulator, o1 + lane3).add(a13).intoArray(accumulator, o1 + lane3);
            FloatVector.fromArray(FLOATS, accumulator, o2 + lane0).add(a20).intoArray(accumulator, o2 + lane0);
            FloatVector.fromArray(FLOATS, accumulator, o2 + lane1).add(a21).intoArray(accumulator, o2 + lane1);
            FloatVector.fromArray(FLOATS, accumulator, o2 + lane2).add(a22).intoArray(accumulator, o2 + lane2);
            FloatVector.fromArray(FLOATS, accumulator, o2 + lane3).add(a23).intoArray(accumulator, o2 + lane3);
            FloatVector.fromArray(FLOATS, accumulator, o3 + lane0).add(a30).intoArray(accumulator, o3 + lane0);
            FloatVector.fromArray(FLOATS, accumulator, o3 + lane1).add(a31).intoArray(accumulator, o3 + lane1);
            FloatVector.fromArray(FLOATS, accumulator, o3 + lane2).add(a32).intoArray(accumulator, o3 + lane2);
            FloatVector.fromArray(FLOATS, accumulator, o3 + lane3).add(a33).intoArray(accumulator, o3 + lane3);
        }
        for (; chunk < runs.chunkCount(); chunk++) {
            int index = rowIndex + runs.chunkOffset(chunk);
            int shift = runs.chunkShift(chunk);
            for (int part = 0; part < CODE_PARTS; part++) {
                int lane = runs.chunkWeightOffset(chunk) + part * FLOAT_LANES;
                FloatVector a0 = FloatVector.zero(FLOATS), a1 = a0, a2 = a0, a3 = a0;
                for (int t = 0, at = index; t < rowCount; t++, at += rowStride) {
                    ByteVector codes = ByteVector.fromArray(CODES, packed, at).reinterpretAsShorts()
                            .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
                    FloatVector c = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                    a0 = c.fma(FloatVector.broadcast(FLOATS, factors[t]), a0);
                    a1 = c.fma(FloatVector.broadcast(FLOATS, factors[f1 + t]), a1);
                    a2 = c.fma(FloatVector.broadcast(FLOATS, factors[f2 + t]), a2);
                    a3 = c.fma(FloatVector.broadcast(FLOATS, factors[f3 + t]), a3);
                }
                FloatVector.fromArray(FLOATS, accumulator, lane).add(a0).intoArray(accumulator, lane);
                FloatVector.fromArray(FLOATS, accumulator, o1 + lane).add(a1).intoArray(accumulator, o1 + lane);
                FloatVector.fromArray(FLOATS, accumulator, o2 + lane).add(a2).intoArray(accumulator, o2 + lane);
                FloatVector.fromArray(FLOATS, accumulator, o3 + lane).add(a3).intoArray(accumulator, o3 + lane);
            }
        }
        for (int run = 0; runs.hasTails() && run < runs.count(); run++) {
            int index = rowIndex + runs.offset(run);
            int shift = runs.shift(run);
            int o0 = runs.weightOffset(run);
            for (int i = wholeLoads(runs.length(run)); i < runs.length(run); i++) {
                for (int t = 0; t < rowCount; t++) {
                    int q = code(packed, index + t * rowStride + i, shift, mask);
                    for (int h = 0; h < 4; h++) {
                        accumulator[o0 + h * accumulatorStride + i] += factors[h * factorStride + t] * q;
                    }
                }
            }
        }
    }

    /**
     * The group value kernel's factors for {@code rows} consecutive rows with one fp16 (step, minimum) each, from
     * {@code [parameterIndex]} on, {@code parameterStride} apart (or step = minimum = 1 where {@code steps} is null:
     * per-column parameters apply after the sum): {@code factors[h · factorStride + k] = weight_h,k · step_k} and
     * {@code offsetSums[h] += Σ_k weight_h,k · minimum_k}, with head h's weights at
     * {@code weights[weightsOffset + h · weightsStride ..]}. Each row's parameters are converted once for the four
     * heads, a vector of rows at a time.
     */
    static void rowFactors4(short[] steps, short[] minimums, int parameterIndex, int parameterStride, float[] weights,
                            int weightsOffset, int weightsStride, int rows, float[] factors, int factorStride,
                            float[] offsetSums) {
        int w1 = weightsOffset + weightsStride;
        int w2 = w1 + weightsStride;
        int w3 = w2 + weightsStride;
        int f1 = factorStride;
        int f2 = f1 + factorStride;
        int f3 = f2 + factorStride;
        FloatVector s0 = FloatVector.zero(FLOATS), s1 = s0, s2 = s0, s3 = s0;
        FloatVector one = FloatVector.broadcast(FLOATS, 1f);
        int k = 0;
        for (int bound = steps == null || parameterStride == 1 ? rows - FLOAT_LANES : -1; k <= bound;
             k += FLOAT_LANES) {
            FloatVector step = one;
            FloatVector minimum = one;
            if (steps != null) {
                step = ((IntVector) ShortVector.fromArray(HALVES, steps, parameterIndex + k)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
                minimum = ((IntVector) ShortVector.fromArray(HALVES, minimums, parameterIndex + k)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
            }
            FloatVector w = FloatVector.fromArray(FLOATS, weights, weightsOffset + k);
            w.mul(step).intoArray(factors, k);
            s0 = w.fma(minimum, s0);
            w = FloatVector.fromArray(FLOATS, weights, w1 + k);
            w.mul(step).intoArray(factors, f1 + k);
            s1 = w.fma(minimum, s1);
            w = FloatVector.fromArray(FLOATS, weights, w2 + k);
            w.mul(step).intoArray(factors, f2 + k);
            s2 = w.fma(minimum, s2);
            w = FloatVector.fromArray(FLOATS, weights, w3 + k);
            w.mul(step).intoArray(factors, f3 + k);
            s3 = w.fma(minimum, s3);
        }
        offsetSums[0] += s0.reduceLanes(VectorOperators.ADD);
        offsetSums[1] += s1.reduceLanes(VectorOperators.ADD);
        offsetSums[2] += s2.reduceLanes(VectorOperators.ADD);
        offsetSums[3] += s3.reduceLanes(VectorOperators.ADD);
        for (; k < rows; k++) {
            int parameter = parameterIndex + k * parameterStride;
            float step = steps == null ? 1f : Float.float16ToFloat(steps[parameter]);
            float minimum = steps == null ? 1f : Float.float16ToFloat(minimums[parameter]);
            for (int h = 0; h < 4; h++) {
                float weight = weights[weightsOffset + h * weightsStride + k];
                factors[h * factorStride + k] = weight * step;
                offsetSums[h] += weight * minimum;
            }
        }
    }

    /**
     * {@code out_i = (q_i·step_i + min_i)·s_i}: a run dequantized with per-column fp16 parameters from
     * {@code [parameterIndex]} and the fp16 channel scales {@code s_i} from {@code scales[parameterIndex]}, or
     * {@code s_i = 1} when {@code scales} is null. A multiply and an add, never a fused multiply-add, so that every
     * value has the bits of {@link MinMaxQuantization#dequantize} (times the scale).
     */
    static void columnDecode(byte[] packed, int index, int shift, int mask, short[] minimums, short[] steps,
                             short[] scales, int parameterIndex, float[] out, int outIndex, int n) {
        int i = 0;
        int bound = wholeLoads(n);
        for (; i < bound; i += CODE_LANES) {
            ByteVector codes = ByteVector.fromArray(CODES, packed, index + i).reinterpretAsShorts()
                    .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
            for (int part = 0; part < CODE_PARTS; part++) {
                int lane = i + part * FLOAT_LANES;
                FloatVector step = ((IntVector) ShortVector.fromArray(HALVES, steps, parameterIndex + lane)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
                FloatVector minimum = ((IntVector) ShortVector.fromArray(HALVES, minimums, parameterIndex + lane)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
                FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                FloatVector value = code.mul(step).add(minimum);
                if (scales != null) {
                    FloatVector scale = ((IntVector) ShortVector.fromArray(HALVES, scales, parameterIndex + lane)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    value = value.mul(scale);
                }
                value.intoArray(out, outIndex + lane);
            }
        }
        for (; i < n; i++) {
            float value = MinMaxQuantization.dequantize(code(packed, index + i, shift, mask),
                    Float.float16ToFloat(minimums[parameterIndex + i]), Float.float16ToFloat(steps[parameterIndex + i]));
            out[outIndex + i] = scales == null ? value : value * Float.float16ToFloat(scales[parameterIndex + i]);
        }
    }

    /**
     * {@code out_i = (q_i·step + minimum)·s_i}: a run of one parameter group dequantized, {@code s_i} the fp16 channel
     * scales from {@code scales[scaleIndex]}, or 1 when {@code scales} is null; the bits of
     * {@link MinMaxQuantization#dequantize} as in {@link #columnDecode}.
     */
    static void rowDecode(byte[] packed, int index, int shift, int mask, float step, float minimum,
                          short[] scales, int scaleIndex, float[] out, int outIndex, int n) {
        int i = 0;
        int bound = wholeLoads(n);
        for (; i < bound; i += CODE_LANES) {
            ByteVector codes = ByteVector.fromArray(CODES, packed, index + i).reinterpretAsShorts()
                    .lanewise(LSHR, shift).reinterpretAsBytes().and((byte) mask);
            for (int part = 0; part < CODE_PARTS; part++) {
                int lane = i + part * FLOAT_LANES;
                FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                FloatVector value = code.mul(step).add(minimum);
                if (scales != null) {
                    FloatVector scale = ((IntVector) ShortVector.fromArray(HALVES, scales, scaleIndex + lane)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    value = value.mul(scale);
                }
                value.intoArray(out, outIndex + lane);
            }
        }
        for (; i < n; i++) {
            float value = MinMaxQuantization.dequantize(code(packed, index + i, shift, mask), minimum, step);
            out[outIndex + i] = scales == null ? value : value * Float.float16ToFloat(scales[scaleIndex + i]);
        }
    }

    /**
     * {@link #columnDecode} of a whole row given as whole loads (chunks): chunk {@code j}'s
     * {@link QuantizedVectors#CODE_LANES} codes start at {@code rowIndex + chunkOffsets[j]}, shifted right by
     * {@code chunkShifts[j]}, and are columns {@code chunkColumns[j] ..}. One loop over every plane of every segment of
     * the row: called run by run, a row of per-head 2-bit segments is a call per 32 codes.
     */
    static void columnDecodeChunks(byte[] packed, int rowIndex, int[] chunkOffsets, int[] chunkShifts,
                                   int[] chunkColumns, int mask, short[] minimums, short[] steps, short[] scales,
                                   float[] out, int outIndex) {
        for (int chunk = 0; chunk < chunkOffsets.length; chunk++) {
            int column = chunkColumns[chunk];
            ByteVector codes = ByteVector.fromArray(CODES, packed, rowIndex + chunkOffsets[chunk])
                    .reinterpretAsShorts().lanewise(LSHR, chunkShifts[chunk]).reinterpretAsBytes().and((byte) mask);
            for (int part = 0; part < CODE_PARTS; part++) {
                int lane = column + part * FLOAT_LANES;
                FloatVector step = ((IntVector) ShortVector.fromArray(HALVES, steps, lane)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
                FloatVector minimum = ((IntVector) ShortVector.fromArray(HALVES, minimums, lane)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
                FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                FloatVector value = code.mul(step).add(minimum);
                if (scales != null) {
                    FloatVector scale = ((IntVector) ShortVector.fromArray(HALVES, scales, lane)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    value = value.mul(scale);
                }
                value.intoArray(out, outIndex + lane);
            }
        }
    }

    /** {@link #rowDecode} of a whole row with one (min, step), given as chunks as in {@link #columnDecodeChunks}. */
    static void rowDecodeChunks(byte[] packed, int rowIndex, int[] chunkOffsets, int[] chunkShifts,
                                int[] chunkColumns, int mask, float step, float minimum, short[] scales, float[] out,
                                int outIndex) {
        for (int chunk = 0; chunk < chunkOffsets.length; chunk++) {
            int column = chunkColumns[chunk];
            ByteVector codes = ByteVector.fromArray(CODES, packed, rowIndex + chunkOffsets[chunk])
                    .reinterpretAsShorts().lanewise(LSHR, chunkShifts[chunk]).reinterpretAsBytes().and((byte) mask);
            for (int part = 0; part < CODE_PARTS; part++) {
                int lane = column + part * FLOAT_LANES;
                FloatVector code = (FloatVector) codes.convertShape(ZERO_EXTEND_B2I, INTS, part).convert(I2F, 0);
                FloatVector value = code.mul(step).add(minimum);
                if (scales != null) {
                    FloatVector scale = ((IntVector) ShortVector.fromArray(HALVES, scales, lane)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    value = value.mul(scale);
                }
                value.intoArray(out, outIndex + lane);
            }
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
