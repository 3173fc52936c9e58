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

    /** Tokens per tile of {@link #dots4}: their sums (four per token) are kept, then scored. */
    private static final int SCORE_TILE = 64;

    /** Per-thread sums of {@link #dots4}'s tiles, so that a decode step allocates nothing. */
    private static final ThreadLocal<float[]> TILE_SUMS = ThreadLocal.withInitial(() -> new float[4 * SCORE_TILE]);

    /** What {@link RunKernels#scoreRows4} adds per head here: nothing (the scores are the sums). */
    private static final float[] NO_CONSTANTS = new float[4];

    /**
     * Scores of four queries (a GQA group: query h at {@code queries[queryOffset + h · length ..]}) against
     * {@code tokens} fp16 vectors of {@code length} from {@code halves[halvesOffset ..]}:
     * {@code scores[scoresOffset + h · scoresStride + t]}. Each vector is converted once for the four queries, four
     * tokens per pass; the sixteen sums of a pass fold into one vector by the transposing tree of the code kernels
     * ({@link RunKernels#codeDot4x4}), and a tile's sums become scores a vector of tokens at a time.
     */
    public static void dots4(float[] queries, int queryOffset, short[] halves, int halvesOffset, int tokens,
                             int length, float[] scores, int scoresOffset, int scoresStride) {
        float[] sums = TILE_SUMS.get();
        int t = 0;
        while (t + 4 <= tokens) {
            int tile = Math.min(SCORE_TILE, (tokens - t) & -4);
            for (int k = 0; k < tile; k += 4) {
                dot4x4(queries, queryOffset, halves, halvesOffset + (t + k) * length, length, sums, 4 * k);
            }
            RunKernels.scoreRows4(sums, tile, null, null, 0, 0, NO_CONSTANTS, scores, scoresOffset + t,
                    scoresStride);
            t += tile;
        }
        for (; t < tokens; t++) {
            for (int h = 0; h < 4; h++) {
                scores[scoresOffset + h * scoresStride + t] = dot(queries, queryOffset + h * length, halves,
                        halvesOffset + t * length, length);
            }
        }
    }

    /** Four tokens from {@code halves[first ..]} against four queries: {@code sums[sumsOffset + 4·h + k]}. */
    private static void dot4x4(float[] queries, int queryOffset, short[] halves, int first, int length,
                               float[] sums, int sumsOffset) {
        int bound = length - length % FLOAT_LANES;
        int q1 = queryOffset + length;
        int q2 = q1 + length;
        int q3 = q2 + length;
        int k1 = first + length;
        int k2 = k1 + length;
        int k3 = k2 + length;
        FloatVector s00 = FloatVector.zero(FLOATS), s01 = s00, s02 = s00, s03 = s00;
        FloatVector s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        FloatVector s20 = s00, s21 = s00, s22 = s00, s23 = s00;
        FloatVector s30 = s00, s31 = s00, s32 = s00, s33 = s00;
        for (int i = 0; i < bound; i += FLOAT_LANES) {
            FloatVector x0 = ((IntVector) ShortVector.fromArray(HALVES, halves, first + i)
                    .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                    .reinterpretAsFloats().mul(HALF_REBIAS);
            FloatVector x1 = ((IntVector) ShortVector.fromArray(HALVES, halves, k1 + i)
                    .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                    .reinterpretAsFloats().mul(HALF_REBIAS);
            FloatVector x2 = ((IntVector) ShortVector.fromArray(HALVES, halves, k2 + i)
                    .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                    .reinterpretAsFloats().mul(HALF_REBIAS);
            FloatVector x3 = ((IntVector) ShortVector.fromArray(HALVES, halves, k3 + i)
                    .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                    .reinterpretAsFloats().mul(HALF_REBIAS);
            FloatVector q = FloatVector.fromArray(FLOATS, queries, queryOffset + i);
            s00 = x0.fma(q, s00);
            s01 = x1.fma(q, s01);
            s02 = x2.fma(q, s02);
            s03 = x3.fma(q, s03);
            q = FloatVector.fromArray(FLOATS, queries, q1 + i);
            s10 = x0.fma(q, s10);
            s11 = x1.fma(q, s11);
            s12 = x2.fma(q, s12);
            s13 = x3.fma(q, s13);
            q = FloatVector.fromArray(FLOATS, queries, q2 + i);
            s20 = x0.fma(q, s20);
            s21 = x1.fma(q, s21);
            s22 = x2.fma(q, s22);
            s23 = x3.fma(q, s23);
            q = FloatVector.fromArray(FLOATS, queries, q3 + i);
            s30 = x0.fma(q, s30);
            s31 = x1.fma(q, s31);
            s32 = x2.fma(q, s32);
            s33 = x3.fma(q, s33);
        }
        // The same transposing fold as RunKernels.codeDot4x4, written out (no vector crosses a call).
        FloatVector low = FloatVector.fromArray(FLOATS, RunKernels.FOLD_LOW[0], 0);
        FloatVector high = FloatVector.fromArray(FLOATS, RunKernels.FOLD_HIGH[0], 0);
        FloatVector p0 = low.selectFrom(s00, s01).add(high.selectFrom(s00, s01));
        FloatVector p1 = low.selectFrom(s02, s03).add(high.selectFrom(s02, s03));
        FloatVector p2 = low.selectFrom(s10, s11).add(high.selectFrom(s10, s11));
        FloatVector p3 = low.selectFrom(s12, s13).add(high.selectFrom(s12, s13));
        FloatVector p4 = low.selectFrom(s20, s21).add(high.selectFrom(s20, s21));
        FloatVector p5 = low.selectFrom(s22, s23).add(high.selectFrom(s22, s23));
        FloatVector p6 = low.selectFrom(s30, s31).add(high.selectFrom(s30, s31));
        FloatVector p7 = low.selectFrom(s32, s33).add(high.selectFrom(s32, s33));
        low = FloatVector.fromArray(FLOATS, RunKernels.FOLD_LOW[1], 0);
        high = FloatVector.fromArray(FLOATS, RunKernels.FOLD_HIGH[1], 0);
        FloatVector r0 = low.selectFrom(p0, p1).add(high.selectFrom(p0, p1));
        FloatVector r1 = low.selectFrom(p2, p3).add(high.selectFrom(p2, p3));
        FloatVector r2 = low.selectFrom(p4, p5).add(high.selectFrom(p4, p5));
        FloatVector r3 = low.selectFrom(p6, p7).add(high.selectFrom(p6, p7));
        if (FLOAT_LANES == 4) {
            r0.intoArray(sums, sumsOffset);
            r1.intoArray(sums, sumsOffset + 4);
            r2.intoArray(sums, sumsOffset + 8);
            r3.intoArray(sums, sumsOffset + 12);
        } else {
            low = FloatVector.fromArray(FLOATS, RunKernels.FOLD_LOW[2], 0);
            high = FloatVector.fromArray(FLOATS, RunKernels.FOLD_HIGH[2], 0);
            FloatVector u0 = low.selectFrom(r0, r1).add(high.selectFrom(r0, r1));
            FloatVector u1 = low.selectFrom(r2, r3).add(high.selectFrom(r2, r3));
            if (FLOAT_LANES == 8) {
                u0.intoArray(sums, sumsOffset);
                u1.intoArray(sums, sumsOffset + 8);
            } else {
                low = FloatVector.fromArray(FLOATS, RunKernels.FOLD_LOW[3], 0);
                high = FloatVector.fromArray(FLOATS, RunKernels.FOLD_HIGH[3], 0);
                low.selectFrom(u0, u1).add(high.selectFrom(u0, u1)).intoArray(sums, sumsOffset);
            }
        }
        for (int i = bound; i < length; i++) {
            for (int k = 0; k < 4; k++) {
                float x = Float.float16ToFloat(halves[first + k * length + i]);
                for (int h = 0; h < 4; h++) {
                    sums[sumsOffset + 4 * h + k] += queries[queryOffset + h * length + i] * x;
                }
            }
        }
    }

    /** Tokens whose values one pass of {@link #addScaled4} keeps in the first-level cache per vector of lanes. */
    private static final int VALUE_BLOCK = 64;

    /**
     * {@code out[outOffset + h · length + i] += Σ_t weights[weightsOffset + h · weightsStride + t] · v_t,i} for four
     * heads and {@code tokens} fp16 vectors of {@code length}: each vector is converted once for the four heads. Four
     * vectors of channels go through a block of tokens together, so each token's four weights are broadcast once per
     * four vectors and sixteen multiply-adds are independent (with one vector, four chains waited on their latency).
     */
    public static void addScaled4(float[] weights, int weightsOffset, int weightsStride, short[] halves,
                                  int halvesOffset, int tokens, int length, float[] out, int outOffset) {
        int bound = length - length % FLOAT_LANES;
        int passBound = length - length % (4 * FLOAT_LANES);
        int w1 = weightsOffset + weightsStride;
        int w2 = w1 + weightsStride;
        int w3 = w2 + weightsStride;
        int o1 = outOffset + length;
        int o2 = o1 + length;
        int o3 = o2 + length;
        int v1 = FLOAT_LANES;
        int v2 = 2 * FLOAT_LANES;
        int v3 = 3 * FLOAT_LANES;
        for (int blockStart = 0; blockStart < tokens; blockStart += VALUE_BLOCK) {
            int blockEnd = Math.min(tokens, blockStart + VALUE_BLOCK);
            int i = 0;
            for (; i < passBound; i += 4 * FLOAT_LANES) {
                FloatVector a00 = FloatVector.zero(FLOATS), a01 = a00, a02 = a00, a03 = a00;
                FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
                FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
                FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
                for (int t = blockStart, at = halvesOffset + blockStart * length + i; t < blockEnd;
                     t++, at += length) {
                    FloatVector x0 = ((IntVector) ShortVector.fromArray(HALVES, halves, at)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    FloatVector x1 = ((IntVector) ShortVector.fromArray(HALVES, halves, at + v1)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    FloatVector x2 = ((IntVector) ShortVector.fromArray(HALVES, halves, at + v2)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    FloatVector x3 = ((IntVector) ShortVector.fromArray(HALVES, halves, at + v3)
                            .convertShape(S2I, INTS, 0)).lanewise(LSHL, HALF_SHIFT).and(HALF_BITS)
                            .reinterpretAsFloats().mul(HALF_REBIAS);
                    FloatVector w = FloatVector.broadcast(FLOATS, weights[weightsOffset + t]);
                    a00 = x0.fma(w, a00);
                    a01 = x1.fma(w, a01);
                    a02 = x2.fma(w, a02);
                    a03 = x3.fma(w, a03);
                    w = FloatVector.broadcast(FLOATS, weights[w1 + t]);
                    a10 = x0.fma(w, a10);
                    a11 = x1.fma(w, a11);
                    a12 = x2.fma(w, a12);
                    a13 = x3.fma(w, a13);
                    w = FloatVector.broadcast(FLOATS, weights[w2 + t]);
                    a20 = x0.fma(w, a20);
                    a21 = x1.fma(w, a21);
                    a22 = x2.fma(w, a22);
                    a23 = x3.fma(w, a23);
                    w = FloatVector.broadcast(FLOATS, weights[w3 + t]);
                    a30 = x0.fma(w, a30);
                    a31 = x1.fma(w, a31);
                    a32 = x2.fma(w, a32);
                    a33 = x3.fma(w, a33);
                }
                // The loaded output is the receiver: the sums are loop phis (see QuantizedVectors).
                int o = outOffset + i;
                FloatVector.fromArray(FLOATS, out, o).add(a00).intoArray(out, o);
                FloatVector.fromArray(FLOATS, out, o + v1).add(a01).intoArray(out, o + v1);
                FloatVector.fromArray(FLOATS, out, o + v2).add(a02).intoArray(out, o + v2);
                FloatVector.fromArray(FLOATS, out, o + v3).add(a03).intoArray(out, o + v3);
                o = o1 + i;
                FloatVector.fromArray(FLOATS, out, o).add(a10).intoArray(out, o);
                FloatVector.fromArray(FLOATS, out, o + v1).add(a11).intoArray(out, o + v1);
                FloatVector.fromArray(FLOATS, out, o + v2).add(a12).intoArray(out, o + v2);
                FloatVector.fromArray(FLOATS, out, o + v3).add(a13).intoArray(out, o + v3);
                o = o2 + i;
                FloatVector.fromArray(FLOATS, out, o).add(a20).intoArray(out, o);
                FloatVector.fromArray(FLOATS, out, o + v1).add(a21).intoArray(out, o + v1);
                FloatVector.fromArray(FLOATS, out, o + v2).add(a22).intoArray(out, o + v2);
                FloatVector.fromArray(FLOATS, out, o + v3).add(a23).intoArray(out, o + v3);
                o = o3 + i;
                FloatVector.fromArray(FLOATS, out, o).add(a30).intoArray(out, o);
                FloatVector.fromArray(FLOATS, out, o + v1).add(a31).intoArray(out, o + v1);
                FloatVector.fromArray(FLOATS, out, o + v2).add(a32).intoArray(out, o + v2);
                FloatVector.fromArray(FLOATS, out, o + v3).add(a33).intoArray(out, o + v3);
            }
            for (; i < bound; i += FLOAT_LANES) {
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
            for (int j = bound; j < length; j++) {
                for (int t = blockStart; t < blockEnd; t++) {
                    float x = Float.float16ToFloat(halves[halvesOffset + t * length + j]);
                    out[outOffset + j] += weights[weightsOffset + t] * x;
                    out[o1 + j] += weights[w1 + t] * x;
                    out[o2 + j] += weights[w2 + t] * x;
                    out[o3 + j] += weights[w3 + t] * x;
                }
            }
        }
    }
}
