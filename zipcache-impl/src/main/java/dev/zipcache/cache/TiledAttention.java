package dev.zipcache.cache;

import dev.zipcache.quantize.QuantizedVectors;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Attention for many query rows at once, tiled over query rows × blocks of keys with an online softmax
 * (FlashAttention's scheme, ZIPCACHE.md §13): no row ever holds more than one block of scores, so a long prompt
 * costs O(L) memory, and each block of keys and values is converted to floats once and then used by every query row
 * and every query head of the KV head's group.
 *
 * <p>Keys are transposed per block so that vector lanes span tokens: a score tile of 4 query rows × 4 vectors of
 * tokens is 16 independent FMA chains fed by one broadcast per query element, with no per-token lane reduction.
 * Values stay token-major: a tile of 4 rows × 4 vectors of channels accumulates one token per step.
 *
 * <p>Rows that need their exact probabilities (ZipCache's probes) go through {@link #probabilities}, which computes
 * whole score rows with the same tile kernel and normalizes them with a full softmax.
 *
 * <p>Not thread-safe: one instance per KV head, since heads are attended concurrently.
 */
final class TiledAttention {

    private static final VectorSpecies<Float> SPECIES = QuantizedVectors.floatSpecies();
    private static final int LANES = SPECIES.length();
    /** Tokens per key block: four vectors of scores per query row. */
    static final int KEY_BLOCK = 4 * LANES;
    /** Query rows per register tile (a query row is one query head of one position). */
    private static final int TILE = 4;
    /** Probe positions whose score rows are computed together. */
    private static final int PROBE_CHUNK = 16;

    private final int dimension;
    private final int group;
    private final float scale;
    /** One block of keys, token-major, then transposed: {@code keysTransposed[d · KEY_BLOCK + t]}. */
    private final float[] keyRows;
    private final float[] keysTransposed;
    /** One block of values, token-major. */
    private final float[] valueRows;
    /** Per query row: its scaled query, current block's scores or probabilities, output accumulator. */
    private float[] queryTile = new float[0];
    private float[] scores = new float[0];
    private float[] accumulators = new float[0];
    private float[] maxima = new float[0];
    private float[] sums = new float[0];
    private int[] visible = new int[0];

    TiledAttention(int dimension, int group) {
        this.dimension = dimension;
        this.group = group;
        this.scale = (float) (1.0 / Math.sqrt(dimension));
        this.keyRows = new float[KEY_BLOCK * dimension];
        this.keysTransposed = new float[KEY_BLOCK * dimension];
        this.valueRows = new float[KEY_BLOCK * dimension];
    }

    /**
     * Causal attention of {@code rows} consecutive query rows (stride {@code queryWidth} in {@code queries} and
     * {@code output}) for the query heads of {@code kvHead}; row {@code r} attends to the first
     * {@code firstVisible + r} tokens of {@code view}.
     */
    void attend(int kvHead, AttentionView view, float[] queries, int queriesOffset, int rows, int queryWidth,
                int firstVisible, float[] output, int outputOffset) {
        int count = rows * group;
        ensureRows(count, KEY_BLOCK);
        for (int row = 0; row < rows; row++) {
            for (int member = 0; member < group; member++) {
                int m = row * group + member;
                int source = queriesOffset + row * queryWidth + (kvHead * group + member) * dimension;
                for (int d = 0; d < dimension; d++) {
                    queryTile[m * dimension + d] = queries[source + d] * scale;
                }
                visible[m] = firstVisible + row;
            }
        }
        Arrays.fill(maxima, 0, count, Float.NEGATIVE_INFINITY);
        Arrays.fill(sums, 0, count, 0f);
        Arrays.fill(accumulators, 0, count * dimension, 0f);
        int end = visible[count - 1];
        for (int blockStart = 0; blockStart < end; blockStart += KEY_BLOCK) {
            int blockCount = Math.min(KEY_BLOCK, end - blockStart);
            // Rows see non-decreasing prefixes: the first rows may not reach this block at all.
            int first = 0;
            while (visible[first] <= blockStart) {
                first++;
            }
            loadKeys(view, blockStart, blockCount);
            gather(view, false, blockStart, blockCount, valueRows);
            Arrays.fill(valueRows, blockCount * dimension, KEY_BLOCK * dimension, 0f);
            scoreTiles(first, count, KEY_BLOCK);
            for (int m = first; m < count; m++) {
                updateSoftmax(m, Math.min(KEY_BLOCK, visible[m] - blockStart));
            }
            accumulateValues(first, count, blockCount);
        }
        for (int row = 0; row < rows; row++) {
            for (int member = 0; member < group; member++) {
                int m = row * group + member;
                int target = outputOffset + row * queryWidth + (kvHead * group + member) * dimension;
                float inverse = 1f / sums[m];
                for (int d = 0; d < dimension; d++) {
                    output[target + d] = accumulators[m * dimension + d] * inverse;
                }
            }
        }
    }

    /**
     * For each of {@code rows} query positions: the softmax probabilities of each query head of {@code kvHead} over
     * the first {@code visibles[i]} tokens of {@code view}, summed over the heads and handed to {@code sink} (in the
     * given order, with {@code ids[i]} as the row).
     *
     * @param queryRowOffsets where each position's query row starts in {@code queries}
     */
    void probabilities(int kvHead, AttentionView view, float[] queries, int[] queryRowOffsets, int[] visibles,
                       int[] ids, int rows, CausalAttention.ProbabilitySink sink) {
        float[] summed = new float[0];
        for (int chunkStart = 0; chunkStart < rows; chunkStart += PROBE_CHUNK) {
            int chunkRows = Math.min(PROBE_CHUNK, rows - chunkStart);
            int count = chunkRows * group;
            int end = 0;
            for (int i = 0; i < chunkRows; i++) {
                end = Math.max(end, visibles[chunkStart + i]);
            }
            int stride = (end + KEY_BLOCK - 1) / KEY_BLOCK * KEY_BLOCK;
            ensureRows(count, stride);
            if (summed.length < end) {
                summed = new float[end];
            }
            for (int i = 0; i < chunkRows; i++) {
                for (int member = 0; member < group; member++) {
                    int m = i * group + member;
                    System.arraycopy(queries, queryRowOffsets[chunkStart + i] + (kvHead * group + member) * dimension,
                            queryTile, m * dimension, dimension);
                    visible[m] = visibles[chunkStart + i];
                }
            }
            for (int blockStart = 0; blockStart < end; blockStart += KEY_BLOCK) {
                loadKeys(view, blockStart, Math.min(KEY_BLOCK, end - blockStart));
                for (int m = 0; m < count; m += TILE) {
                    int tileEnd = Math.min(count, m + TILE);
                    boolean reaches = false;
                    for (int k = m; k < tileEnd; k++) {
                        reaches |= visible[k] > blockStart;
                    }
                    if (reaches) {
                        scoreTile(m, tileEnd, stride, blockStart);
                    }
                }
            }
            for (int i = 0; i < chunkRows; i++) {
                int length = visibles[chunkStart + i];
                Arrays.fill(summed, 0, length, 0f);
                for (int member = 0; member < group; member++) {
                    int base = (i * group + member) * stride;
                    Softmax.scaledInPlace(scores, base, length, scale);
                    for (int t = 0; t < length; t++) {
                        summed[t] += scores[base + t];
                    }
                }
                sink.accept(ids[chunkStart + i], summed, length);
            }
        }
    }

    private void ensureRows(int count, int scoreStride) {
        if (visible.length < count) {
            visible = new int[count];
            maxima = new float[count];
            sums = new float[count];
            queryTile = new float[count * dimension];
            accumulators = new float[count * dimension];
        }
        if (scores.length < count * scoreStride) {
            scores = new float[count * scoreStride];
        }
    }

    /** Converts keys {@code [blockStart, blockStart + count)} and transposes them, zero past {@code count}. */
    private void loadKeys(AttentionView view, int blockStart, int count) {
        gather(view, true, blockStart, count, keyRows);
        for (int t = 0; t < count; t++) {
            int source = t * dimension;
            for (int d = 0; d < dimension; d++) {
                keysTransposed[d * KEY_BLOCK + t] = keyRows[source + d];
            }
        }
        if (count < KEY_BLOCK) {
            for (int d = 0; d < dimension; d++) {
                Arrays.fill(keysTransposed, d * KEY_BLOCK + count, (d + 1) * KEY_BLOCK, 0f);
            }
        }
    }

    /** Token-major floats of the view's tokens {@code [start, start + count)}, keys or values. */
    private void gather(AttentionView view, boolean keys, int start, int count, float[] target) {
        int done = 0;
        int segmentStart = 0;
        for (int segment = 0; segment < view.size && done < count; segment++) {
            int segmentEnd = segmentStart + view.counts[segment];
            int from = start + done;
            if (from < segmentEnd) {
                int run = Math.min(count - done, segmentEnd - from);
                int offset = from - segmentStart;
                if (keys) {
                    view.keys[segment].toFloats(view.keyFrom[segment] + offset, run, target, done * dimension);
                } else {
                    view.values[segment].toFloats(view.valueFrom[segment] + offset, run, target, done * dimension);
                }
                done += run;
            }
            segmentStart = segmentEnd;
        }
        if (done < count) {
            throw new IllegalStateException("view holds " + segmentStart + " tokens, attention needs "
                    + (start + count));
        }
    }

    /** Scores of query rows {@code [first, end)} against the loaded key block, at the start of each row's slot. */
    private void scoreTiles(int first, int end, int stride) {
        for (int m = first; m < end; m += TILE) {
            scoreTile(m, Math.min(end, m + TILE), stride, 0);
        }
    }

    /**
     * {@code scores[m · stride + column + t] = query_m · k_t} for rows {@code [first, end)} (at most {@link #TILE})
     * and the {@link #KEY_BLOCK} tokens of the loaded block.
     */
    private void scoreTile(int first, int end, int stride, int column) {
        if (end - first == TILE) {
            scoreTile4(first, stride, column);
        } else {
            for (int m = first; m < end; m++) {
                scoreRow(m, stride, column);
            }
        }
    }

    /** {@link #scoreTile} for four rows: 16 accumulators, stored straight from registers. */
    private void scoreTile4(int first, int stride, int column) {
        float[] q = queryTile;
        float[] k = keysTransposed;
        float[] out = scores;
        int dims = dimension;
        {
            int q0 = first * dims;
            int q1 = q0 + dims;
            int q2 = q1 + dims;
            int q3 = q2 + dims;
            FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a02 = a00, a03 = a00;
            FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
            FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
            FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
            for (int d = 0; d < dims; d++) {
                int kb = d * KEY_BLOCK;
                FloatVector k0 = FloatVector.fromArray(SPECIES, k, kb);
                FloatVector k1 = FloatVector.fromArray(SPECIES, k, kb + LANES);
                FloatVector k2 = FloatVector.fromArray(SPECIES, k, kb + 2 * LANES);
                FloatVector k3 = FloatVector.fromArray(SPECIES, k, kb + 3 * LANES);
                FloatVector b = FloatVector.broadcast(SPECIES, q[q0 + d]);
                a00 = k0.fma(b, a00);
                a01 = k1.fma(b, a01);
                a02 = k2.fma(b, a02);
                a03 = k3.fma(b, a03);
                b = FloatVector.broadcast(SPECIES, q[q1 + d]);
                a10 = k0.fma(b, a10);
                a11 = k1.fma(b, a11);
                a12 = k2.fma(b, a12);
                a13 = k3.fma(b, a13);
                b = FloatVector.broadcast(SPECIES, q[q2 + d]);
                a20 = k0.fma(b, a20);
                a21 = k1.fma(b, a21);
                a22 = k2.fma(b, a22);
                a23 = k3.fma(b, a23);
                b = FloatVector.broadcast(SPECIES, q[q3 + d]);
                a30 = k0.fma(b, a30);
                a31 = k1.fma(b, a31);
                a32 = k2.fma(b, a32);
                a33 = k3.fma(b, a33);
            }
            int s0 = first * stride + column;
            int s1 = s0 + stride;
            int s2 = s1 + stride;
            int s3 = s2 + stride;
            a00.intoArray(out, s0);
            a01.intoArray(out, s0 + LANES);
            a02.intoArray(out, s0 + 2 * LANES);
            a03.intoArray(out, s0 + 3 * LANES);
            a10.intoArray(out, s1);
            a11.intoArray(out, s1 + LANES);
            a12.intoArray(out, s1 + 2 * LANES);
            a13.intoArray(out, s1 + 3 * LANES);
            a20.intoArray(out, s2);
            a21.intoArray(out, s2 + LANES);
            a22.intoArray(out, s2 + 2 * LANES);
            a23.intoArray(out, s2 + 3 * LANES);
            a30.intoArray(out, s3);
            a31.intoArray(out, s3 + LANES);
            a32.intoArray(out, s3 + 2 * LANES);
            a33.intoArray(out, s3 + 3 * LANES);
        }
    }

    /** {@link #scoreTile} for one row. */
    private void scoreRow(int m, int stride, int column) {
        float[] q = queryTile;
        float[] k = keysTransposed;
        int dims = dimension;
        {
            int qm = m * dims;
            FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < dims; d++) {
                int kb = d * KEY_BLOCK;
                FloatVector b = FloatVector.broadcast(SPECIES, q[qm + d]);
                a0 = FloatVector.fromArray(SPECIES, k, kb).fma(b, a0);
                a1 = FloatVector.fromArray(SPECIES, k, kb + LANES).fma(b, a1);
                a2 = FloatVector.fromArray(SPECIES, k, kb + 2 * LANES).fma(b, a2);
                a3 = FloatVector.fromArray(SPECIES, k, kb + 3 * LANES).fma(b, a3);
            }
            int s = m * stride + column;
            a0.intoArray(scores, s);
            a1.intoArray(scores, s + LANES);
            a2.intoArray(scores, s + 2 * LANES);
            a3.intoArray(scores, s + 3 * LANES);
        }
    }

    /**
     * Online softmax for row {@code m} over the first {@code valid} scores of the block: turns them into
     * {@code exp(s − max)} (zero past {@code valid}), and rescales the row's sum and accumulator when the running
     * maximum grows.
     */
    private void updateSoftmax(int m, int valid) {
        int base = m * KEY_BLOCK;
        float previous = maxima[m];
        float maximum = Math.max(previous, blockMaximum(base, valid));
        // Our exponential, not the Vector API's EXP: the same bits in every JIT tier (see FloatVectors).
        float blockSum = FloatVectors.expInPlace(scores, base, KEY_BLOCK, 1f, maximum);
        float correction = previous == Float.NEGATIVE_INFINITY ? 0f : FloatVectors.expScalar(previous - maximum);
        sums[m] = sums[m] * correction + blockSum;
        maxima[m] = maximum;
        if (correction != 1f) {
            scaleRow(m, correction);
        }
    }

    /**
     * The largest of the block's first {@code valid} scores; the rest of the block is set to −∞ (weighs nothing).
     *
     * <p>A method of its own that returns a plain float: inside updateSoftmax, with the exponential inlined, C2 ran out
     * of inlining budget in the engine and called {@code FloatVector.max}'s lane-wise operation out of line, where the
     * operator is no constant and the Vector API falls back to Java code (a quarter of an 8k zipcache prefill's
     * samples). A call that passes no vector costs little when it is not inlined.
     */
    private float blockMaximum(int base, int valid) {
        FloatVector negativeInfinity = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        FloatVector blockMaxima = negativeInfinity;
        if (valid == KEY_BLOCK) {
            for (int j = 0; j < KEY_BLOCK; j += LANES) {
                blockMaxima = FloatVector.fromArray(SPECIES, scores, base + j).max(blockMaxima);
            }
        } else {
            // The row's prefix ends inside this block: the rest of the block must weigh nothing.
            for (int j = 0; j < KEY_BLOCK; j += LANES) {
                VectorMask<Float> inRange = SPECIES.indexInRange(j, valid);
                FloatVector s = negativeInfinity.blend(FloatVector.fromArray(SPECIES, scores, base + j), inRange);
                s.intoArray(scores, base + j);
                blockMaxima = s.max(blockMaxima);
            }
        }
        return blockMaxima.reduceLanes(VectorOperators.MAX);
    }

    private void scaleRow(int m, float factor) {
        int base = m * dimension;
        int d = 0;
        int bound = SPECIES.loopBound(dimension);
        for (; d < bound; d += LANES) {
            FloatVector.fromArray(SPECIES, accumulators, base + d).mul(factor).intoArray(accumulators, base + d);
        }
        for (; d < dimension; d++) {
            accumulators[base + d] *= factor;
        }
    }

    /** {@code acc_m += Σ_t p[m][t] · v_t} for rows {@code [first, end)} over the block's {@code count} tokens. */
    private void accumulateValues(int first, int end, int count) {
        int m = first;
        for (; m + TILE <= end; m += TILE) {
            accumulateTile(m, count);
        }
        for (; m < end; m++) {
            accumulateRow(m, count);
        }
    }

    private void accumulateTile(int m, int count) {
        float[] p = scores;
        float[] v = valueRows;
        float[] acc = accumulators;
        int dims = dimension;
        int p0 = m * KEY_BLOCK;
        int p1 = p0 + KEY_BLOCK;
        int p2 = p1 + KEY_BLOCK;
        int p3 = p2 + KEY_BLOCK;
        int o0 = m * dims;
        int o1 = o0 + dims;
        int o2 = o1 + dims;
        int o3 = o2 + dims;
        int d = 0;
        for (; d + 4 * LANES <= dims; d += 4 * LANES) {
            FloatVector a00 = FloatVector.fromArray(SPECIES, acc, o0 + d);
            FloatVector a01 = FloatVector.fromArray(SPECIES, acc, o0 + d + LANES);
            FloatVector a02 = FloatVector.fromArray(SPECIES, acc, o0 + d + 2 * LANES);
            FloatVector a03 = FloatVector.fromArray(SPECIES, acc, o0 + d + 3 * LANES);
            FloatVector a10 = FloatVector.fromArray(SPECIES, acc, o1 + d);
            FloatVector a11 = FloatVector.fromArray(SPECIES, acc, o1 + d + LANES);
            FloatVector a12 = FloatVector.fromArray(SPECIES, acc, o1 + d + 2 * LANES);
            FloatVector a13 = FloatVector.fromArray(SPECIES, acc, o1 + d + 3 * LANES);
            FloatVector a20 = FloatVector.fromArray(SPECIES, acc, o2 + d);
            FloatVector a21 = FloatVector.fromArray(SPECIES, acc, o2 + d + LANES);
            FloatVector a22 = FloatVector.fromArray(SPECIES, acc, o2 + d + 2 * LANES);
            FloatVector a23 = FloatVector.fromArray(SPECIES, acc, o2 + d + 3 * LANES);
            FloatVector a30 = FloatVector.fromArray(SPECIES, acc, o3 + d);
            FloatVector a31 = FloatVector.fromArray(SPECIES, acc, o3 + d + LANES);
            FloatVector a32 = FloatVector.fromArray(SPECIES, acc, o3 + d + 2 * LANES);
            FloatVector a33 = FloatVector.fromArray(SPECIES, acc, o3 + d + 3 * LANES);
            for (int t = 0; t < count; t++) {
                int vb = t * dims + d;
                FloatVector v0 = FloatVector.fromArray(SPECIES, v, vb);
                FloatVector v1 = FloatVector.fromArray(SPECIES, v, vb + LANES);
                FloatVector v2 = FloatVector.fromArray(SPECIES, v, vb + 2 * LANES);
                FloatVector v3 = FloatVector.fromArray(SPECIES, v, vb + 3 * LANES);
                FloatVector w = FloatVector.broadcast(SPECIES, p[p0 + t]);
                a00 = v0.fma(w, a00);
                a01 = v1.fma(w, a01);
                a02 = v2.fma(w, a02);
                a03 = v3.fma(w, a03);
                w = FloatVector.broadcast(SPECIES, p[p1 + t]);
                a10 = v0.fma(w, a10);
                a11 = v1.fma(w, a11);
                a12 = v2.fma(w, a12);
                a13 = v3.fma(w, a13);
                w = FloatVector.broadcast(SPECIES, p[p2 + t]);
                a20 = v0.fma(w, a20);
                a21 = v1.fma(w, a21);
                a22 = v2.fma(w, a22);
                a23 = v3.fma(w, a23);
                w = FloatVector.broadcast(SPECIES, p[p3 + t]);
                a30 = v0.fma(w, a30);
                a31 = v1.fma(w, a31);
                a32 = v2.fma(w, a32);
                a33 = v3.fma(w, a33);
            }
            a00.intoArray(acc, o0 + d);
            a01.intoArray(acc, o0 + d + LANES);
            a02.intoArray(acc, o0 + d + 2 * LANES);
            a03.intoArray(acc, o0 + d + 3 * LANES);
            a10.intoArray(acc, o1 + d);
            a11.intoArray(acc, o1 + d + LANES);
            a12.intoArray(acc, o1 + d + 2 * LANES);
            a13.intoArray(acc, o1 + d + 3 * LANES);
            a20.intoArray(acc, o2 + d);
            a21.intoArray(acc, o2 + d + LANES);
            a22.intoArray(acc, o2 + d + 2 * LANES);
            a23.intoArray(acc, o2 + d + 3 * LANES);
            a30.intoArray(acc, o3 + d);
            a31.intoArray(acc, o3 + d + LANES);
            a32.intoArray(acc, o3 + d + 2 * LANES);
            a33.intoArray(acc, o3 + d + 3 * LANES);
        }
        for (; d + LANES <= dims; d += LANES) {
            FloatVector a0 = FloatVector.fromArray(SPECIES, acc, o0 + d);
            FloatVector a1 = FloatVector.fromArray(SPECIES, acc, o1 + d);
            FloatVector a2 = FloatVector.fromArray(SPECIES, acc, o2 + d);
            FloatVector a3 = FloatVector.fromArray(SPECIES, acc, o3 + d);
            for (int t = 0; t < count; t++) {
                FloatVector value = FloatVector.fromArray(SPECIES, v, t * dims + d);
                a0 = value.fma(FloatVector.broadcast(SPECIES, p[p0 + t]), a0);
                a1 = value.fma(FloatVector.broadcast(SPECIES, p[p1 + t]), a1);
                a2 = value.fma(FloatVector.broadcast(SPECIES, p[p2 + t]), a2);
                a3 = value.fma(FloatVector.broadcast(SPECIES, p[p3 + t]), a3);
            }
            a0.intoArray(acc, o0 + d);
            a1.intoArray(acc, o1 + d);
            a2.intoArray(acc, o2 + d);
            a3.intoArray(acc, o3 + d);
        }
        for (; d < dims; d++) {
            float s0 = acc[o0 + d], s1 = acc[o1 + d], s2 = acc[o2 + d], s3 = acc[o3 + d];
            for (int t = 0; t < count; t++) {
                float value = v[t * dims + d];
                s0 += p[p0 + t] * value;
                s1 += p[p1 + t] * value;
                s2 += p[p2 + t] * value;
                s3 += p[p3 + t] * value;
            }
            acc[o0 + d] = s0;
            acc[o1 + d] = s1;
            acc[o2 + d] = s2;
            acc[o3 + d] = s3;
        }
    }

    private void accumulateRow(int m, int count) {
        int dims = dimension;
        int pm = m * KEY_BLOCK;
        int om = m * dims;
        int d = 0;
        for (; d + LANES <= dims; d += LANES) {
            FloatVector a = FloatVector.fromArray(SPECIES, accumulators, om + d);
            for (int t = 0; t < count; t++) {
                a = FloatVector.fromArray(SPECIES, valueRows, t * dims + d)
                        .fma(FloatVector.broadcast(SPECIES, scores[pm + t]), a);
            }
            a.intoArray(accumulators, om + d);
        }
        for (; d < dims; d++) {
            float s = accumulators[om + d];
            for (int t = 0; t < count; t++) {
                s += scores[pm + t] * valueRows[t * dims + d];
            }
            accumulators[om + d] = s;
        }
    }

    /**
     * The scalar twin of {@link #attend}: each row's scores over all its visible tokens, an exact softmax, and the
     * weighted sum of values, one element at a time.
     */
    void attendScalar(int kvHead, AttentionView view, float[] queries, int queriesOffset, int rows, int queryWidth,
                      int firstVisible, float[] output, int outputOffset) {
        int end = firstVisible + rows - 1;
        float[] keys = new float[end * dimension];
        float[] values = new float[end * dimension];
        gather(view, true, 0, end, keys);
        gather(view, false, 0, end, values);
        float[] weights = new float[end];
        for (int row = 0; row < rows; row++) {
            int seen = firstVisible + row;
            for (int member = 0; member < group; member++) {
                int head = kvHead * group + member;
                int q = queriesOffset + row * queryWidth + head * dimension;
                for (int t = 0; t < seen; t++) {
                    float dot = 0f;
                    for (int d = 0; d < dimension; d++) {
                        dot += queries[q + d] * keys[t * dimension + d];
                    }
                    weights[t] = dot;
                }
                Softmax.scaledInPlaceScalar(weights, seen, scale);
                int out = outputOffset + row * queryWidth + head * dimension;
                for (int d = 0; d < dimension; d++) {
                    float sum = 0f;
                    for (int t = 0; t < seen; t++) {
                        sum += weights[t] * values[t * dimension + d];
                    }
                    output[out + d] = sum;
                }
            }
        }
    }
}
