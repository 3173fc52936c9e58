package dev.zipcache.quantize;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;

import static dev.zipcache.quantize.QuantizedVectors.FLOATS;
import static dev.zipcache.quantize.QuantizedVectors.FLOAT_LANES;
import static dev.zipcache.quantize.QuantizedVectors.HALF_BITS;
import static dev.zipcache.quantize.QuantizedVectors.HALF_REBIAS;
import static dev.zipcache.quantize.QuantizedVectors.HALF_SHIFT;
import static dev.zipcache.quantize.QuantizedVectors.HALVES;
import static dev.zipcache.quantize.QuantizedVectors.INTS;
import static jdk.incubator.vector.VectorOperators.LSHL;
import static jdk.incubator.vector.VectorOperators.S2I;

/**
 * Dot product and scaled add over fp16 vectors stored as {@code short} bits, converting eight or sixteen halves per
 * instruction sequence instead of one {@link Float#float16ToFloat} at a time: the fp16 cache's attention.
 * Finite values only (keys and values of a model are). The conversion is written out in each loop: see
 * {@link QuantizedVectors} for why no helper carries a vector.
 */
public final class HalfVectors {

    private HalfVectors() {
    }

    /** Σ query[queryOffset + i] · half(halves[halvesOffset + i]) for i < length. */
    public static float dot(float[] query, int queryOffset, short[] halves, int halvesOffset, int length) {
        int i = 0;
        float sum = 0f;
        int bound = length - length % FLOAT_LANES;
        if (bound > 0) {
            FloatVector accumulator = FloatVector.zero(FLOATS);
            for (; i < bound; i += FLOAT_LANES) {
                FloatVector x = ((IntVector) ShortVector.fromArray(HALVES, halves, halvesOffset + i)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
                accumulator = x.fma(FloatVector.fromArray(FLOATS, query, queryOffset + i), accumulator);
            }
            sum = accumulator.reduceLanes(VectorOperators.ADD);
        }
        for (; i < length; i++) {
            sum += query[queryOffset + i] * Float.float16ToFloat(halves[halvesOffset + i]);
        }
        return sum;
    }

    /** out[outOffset + i] += weight · half(halves[halvesOffset + i]) for i < length. */
    public static void addScaled(float weight, short[] halves, int halvesOffset, float[] out, int outOffset,
                                 int length) {
        int i = 0;
        int bound = length - length % FLOAT_LANES;
        if (bound > 0) {
            FloatVector weights = FloatVector.broadcast(FLOATS, weight);
            for (; i < bound; i += FLOAT_LANES) {
                FloatVector x = ((IntVector) ShortVector.fromArray(HALVES, halves, halvesOffset + i)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
                x.fma(weights, FloatVector.fromArray(FLOATS, out, outOffset + i)).intoArray(out, outOffset + i);
            }
        }
        for (; i < length; i++) {
            out[outOffset + i] += weight * Float.float16ToFloat(halves[halvesOffset + i]);
        }
    }

    /** out[outOffset + i] = half(halves[halvesOffset + i]) for i < length. */
    public static void toFloats(short[] halves, int halvesOffset, float[] out, int outOffset, int length) {
        int i = 0;
        int bound = length - length % FLOAT_LANES;
        for (; i < bound; i += FLOAT_LANES) {
            FloatVector x = ((IntVector) ShortVector.fromArray(HALVES, halves, halvesOffset + i)
                    .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                    .reinterpretAsFloats().mul(HALF_REBIAS);
            x.intoArray(out, outOffset + i);
        }
        for (; i < length; i++) {
            out[outOffset + i] = Float.float16ToFloat(halves[halvesOffset + i]);
        }
    }

    /**
     * Scores of four queries (a GQA group: query h at {@code queries[queryOffset + h · length ..]}) against
     * {@code tokens} fp16 vectors of {@code length} from {@code halves[halvesOffset ..]}:
     * {@code scores[scoresOffset + h · scoresStride + t]}. Each vector is converted once for the four queries, two
     * tokens per pass.
     */
    public static void dots4(float[] queries, int queryOffset, short[] halves, int halvesOffset, int tokens,
                             int length, float[] scores, int scoresOffset, int scoresStride) {
        int bound = length - length % FLOAT_LANES;
        int q1 = queryOffset + length;
        int q2 = q1 + length;
        int q3 = q2 + length;
        int t = 0;
        for (; t + 2 <= tokens; t += 2) {
            int k0 = halvesOffset + t * length;
            int k1 = k0 + length;
            FloatVector a00 = FloatVector.zero(FLOATS), a01 = a00, a10 = a00, a11 = a00;
            FloatVector a20 = a00, a21 = a00, a30 = a00, a31 = a00;
            int i = 0;
            for (; i < bound; i += FLOAT_LANES) {
                FloatVector x0 = ((IntVector) ShortVector.fromArray(HALVES, halves, k0 + i)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
                FloatVector x1 = ((IntVector) ShortVector.fromArray(HALVES, halves, k1 + i)
                        .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                        .reinterpretAsFloats().mul(HALF_REBIAS);
                FloatVector q = FloatVector.fromArray(FLOATS, queries, queryOffset + i);
                a00 = x0.fma(q, a00);
                a01 = x1.fma(q, a01);
                q = FloatVector.fromArray(FLOATS, queries, q1 + i);
                a10 = x0.fma(q, a10);
                a11 = x1.fma(q, a11);
                q = FloatVector.fromArray(FLOATS, queries, q2 + i);
                a20 = x0.fma(q, a20);
                a21 = x1.fma(q, a21);
                q = FloatVector.fromArray(FLOATS, queries, q3 + i);
                a30 = x0.fma(q, a30);
                a31 = x1.fma(q, a31);
            }
            float s00 = a00.reduceLanes(VectorOperators.ADD), s01 = a01.reduceLanes(VectorOperators.ADD);
            float s10 = a10.reduceLanes(VectorOperators.ADD), s11 = a11.reduceLanes(VectorOperators.ADD);
            float s20 = a20.reduceLanes(VectorOperators.ADD), s21 = a21.reduceLanes(VectorOperators.ADD);
            float s30 = a30.reduceLanes(VectorOperators.ADD), s31 = a31.reduceLanes(VectorOperators.ADD);
            for (; i < length; i++) {
                float x0 = Float.float16ToFloat(halves[k0 + i]);
                float x1 = Float.float16ToFloat(halves[k1 + i]);
                s00 += queries[queryOffset + i] * x0;
                s01 += queries[queryOffset + i] * x1;
                s10 += queries[q1 + i] * x0;
                s11 += queries[q1 + i] * x1;
                s20 += queries[q2 + i] * x0;
                s21 += queries[q2 + i] * x1;
                s30 += queries[q3 + i] * x0;
                s31 += queries[q3 + i] * x1;
            }
            int s = scoresOffset + t;
            scores[s] = s00;
            scores[s + 1] = s01;
            scores[s + scoresStride] = s10;
            scores[s + scoresStride + 1] = s11;
            scores[s + 2 * scoresStride] = s20;
            scores[s + 2 * scoresStride + 1] = s21;
            scores[s + 3 * scoresStride] = s30;
            scores[s + 3 * scoresStride + 1] = s31;
        }
        for (; t < tokens; t++) {
            for (int h = 0; h < 4; h++) {
                scores[scoresOffset + h * scoresStride + t] = dot(queries, queryOffset + h * length, halves,
                        halvesOffset + t * length, length);
            }
        }
    }

    /** Tokens whose values one pass of {@link #addScaled4} keeps in the first-level cache per vector of lanes. */
    private static final int VALUE_BLOCK = 64;

    /**
     * {@code out[outOffset + h · length + i] += Σ_t weights[weightsOffset + h · weightsStride + t] · v_t,i} for four
     * heads and {@code tokens} fp16 vectors of {@code length}: each vector is converted once for the four heads.
     */
    public static void addScaled4(float[] weights, int weightsOffset, int weightsStride, short[] halves,
                                  int halvesOffset, int tokens, int length, float[] out, int outOffset) {
        int bound = length - length % FLOAT_LANES;
        int w1 = weightsOffset + weightsStride;
        int w2 = w1 + weightsStride;
        int w3 = w2 + weightsStride;
        int o1 = outOffset + length;
        int o2 = o1 + length;
        int o3 = o2 + length;
        for (int blockStart = 0; blockStart < tokens; blockStart += VALUE_BLOCK) {
            int blockEnd = Math.min(tokens, blockStart + VALUE_BLOCK);
            for (int i = 0; i < bound; i += FLOAT_LANES) {
                FloatVector a0 = FloatVector.fromArray(FLOATS, out, outOffset + i);
                FloatVector a1 = FloatVector.fromArray(FLOATS, out, o1 + i);
                FloatVector a2 = FloatVector.fromArray(FLOATS, out, o2 + i);
                FloatVector a3 = FloatVector.fromArray(FLOATS, out, o3 + i);
                for (int t = blockStart; t < blockEnd; t++) {
                    FloatVector x = ((IntVector) ShortVector.fromArray(HALVES, halves, halvesOffset + t * length + i)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    a0 = x.fma(FloatVector.broadcast(FLOATS, weights[weightsOffset + t]), a0);
                    a1 = x.fma(FloatVector.broadcast(FLOATS, weights[w1 + t]), a1);
                    a2 = x.fma(FloatVector.broadcast(FLOATS, weights[w2 + t]), a2);
                    a3 = x.fma(FloatVector.broadcast(FLOATS, weights[w3 + t]), a3);
                }
                a0.intoArray(out, outOffset + i);
                a1.intoArray(out, o1 + i);
                a2.intoArray(out, o2 + i);
                a3.intoArray(out, o3 + i);
            }
            for (int i = bound; i < length; i++) {
                for (int t = blockStart; t < blockEnd; t++) {
                    float x = Float.float16ToFloat(halves[halvesOffset + t * length + i]);
                    out[outOffset + i] += weights[weightsOffset + t] * x;
                    out[o1 + i] += weights[w1 + t] * x;
                    out[o2 + i] += weights[w2 + t] * x;
                    out[o3 + i] += weights[w3 + t] * x;
                }
            }
        }
    }
}
