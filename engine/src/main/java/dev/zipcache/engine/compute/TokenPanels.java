package dev.zipcache.engine.compute;

import dev.zipcache.engine.tensor.VectorShapes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The prefill's matrix product for batches of {@link #MINIMUM_BATCH} tokens or more, with vector lanes across
 * tokens: the batch's input is transposed once per product ({@code [column][token]}, a "panel"), and a tile of 4
 * weight rows × 3 vectors of tokens keeps 12 accumulators in registers while it walks the columns. Each step loads 3
 * input vectors and broadcasts 4 weights for 12 multiply-adds, and no lane is ever reduced: every lane is one
 * (row, token) sum. {@link TiledDot}, whose lanes run along the columns, needs 8 loads per 16 multiply-adds and 16
 * lane reductions per tile, and its two streams outgrow the first-level cache; this kernel is what lets the prefill
 * run near the multiply-add units' speed instead of the second-level cache's.
 *
 * <p>Each sum is one chain of fused multiply-adds in column order, so the result does not depend on the tile, the
 * thread or the JIT tier.
 */
final class TokenPanels {

    private static final VectorSpecies<Float> SPECIES = VectorShapes.floatSpecies();
    private static final int LANES = SPECIES.length();
    /** Weight rows per tile. */
    static final int ROWS = 4;
    /** Token vectors per full tile. */
    private static final int VECTORS = 3;
    /** Below this many tokens, padding the batch to whole vectors costs more than the kernel saves. */
    static final int MINIMUM_BATCH = 2 * LANES;

    private TokenPanels() {
    }

    /** Floats per column of the transposed input: the batch rounded up to whole vectors (the padding is zero). */
    static int stride(int batch) {
        return (batch + LANES - 1) / LANES * LANES;
    }

    /** Floats per column of the tile that starts at token {@code token}: a full tile's, or what is left. */
    private static int tileWidth(int stride, int token) {
        return Math.min(TILE_TOKENS, stride - token);
    }

    /**
     * Writes the batch transposed, tile by tile: the tile of tokens {@code [p·T, p·T + T)} (T = {@link #TILE_TOKENS},
     * the last tile narrower) starts at {@code p·T·columns} and holds column {@code c} of its tokens at
     * {@code c·width}, so that a tile's kernel reads one sequential stream. Zeros pad the batch to whole vectors.
     */
    static void transpose(float[] input, int batch, int columns, float[] panel) {
        int stride = stride(batch);
        for (int token = 0; token < stride; token += TILE_TOKENS) {
            int width = tileWidth(stride, token);
            int tileStart = token * columns;
            // Token by token: each input row is read in order; its column c goes width floats further on.
            for (int t = token; t < token + width; t++) {
                int target = tileStart + t - token;
                if (t < batch) {
                    int source = t * columns;
                    for (int c = 0; c < columns; c++) {
                        panel[target + c * width] = input[source + c];
                    }
                } else {
                    for (int c = 0; c < columns; c++) {
                        panel[target + c * width] = 0f;
                    }
                }
            }
        }
    }

    /** Tokens per full tile: the step of the token loop around {@link #multiply4}. */
    static final int TILE_TOKENS = VECTORS * LANES;

    /**
     * {@code out[t · outRows + firstRow + r] = Σ_c w[wOffset + r · columns + c] · input[t · columns + c]} (from the
     * {@link #transpose transposed} panel) for the 4 rows from {@code firstRow} and the tokens {@code t} of the tile
     * that starts at {@code token} (a multiple
     * of {@link #TILE_TOKENS}) and below {@code batch}. Callers loop over tiles outside and rows inside, so that a
     * tile's panel stays in the cache for every row. {@code scratch} holds {@link #scratchFloats()} floats.
     */
    static void multiply4(float[] w, int wOffset, int columns, float[] panel, int batch, int token, float[] out,
                          int outRows, int firstRow, float[] scratch) {
        int width = tileWidth(stride(batch), token);
        int tileStart = token * columns;
        if (width == TILE_TOKENS) {
            tile4x3(w, wOffset, columns, panel, tileStart, scratch);
            store(scratch, VECTORS, token, batch, out, outRows, firstRow);
            return;
        }
        for (int vector = 0; vector < width; vector += LANES) {
            tile4x1(w, wOffset, columns, panel, tileStart + vector, width, scratch);
            store(scratch, 1, token + vector, batch, out, outRows, firstRow);
        }
    }

    /** Twelve sums: rows 0..3 × the full tile at {@code tileStart}, into {@code scratch[(3 · r + j) · LANES ..]}. */
    private static void tile4x3(float[] w, int wOffset, int columns, float[] panel, int tileStart,
                                float[] scratch) {
        int w0 = wOffset;
        int w1 = w0 + columns;
        int w2 = w1 + columns;
        int w3 = w2 + columns;
        FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a02 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00;
        for (int c = 0; c < columns; c++) {
            int x = tileStart + c * TILE_TOKENS;
            FloatVector x0 = FloatVector.fromArray(SPECIES, panel, x);
            FloatVector x1 = FloatVector.fromArray(SPECIES, panel, x + LANES);
            FloatVector x2 = FloatVector.fromArray(SPECIES, panel, x + 2 * LANES);
            FloatVector b = FloatVector.broadcast(SPECIES, w[w0 + c]);
            a00 = b.fma(x0, a00);
            a01 = b.fma(x1, a01);
            a02 = b.fma(x2, a02);
            b = FloatVector.broadcast(SPECIES, w[w1 + c]);
            a10 = b.fma(x0, a10);
            a11 = b.fma(x1, a11);
            a12 = b.fma(x2, a12);
            b = FloatVector.broadcast(SPECIES, w[w2 + c]);
            a20 = b.fma(x0, a20);
            a21 = b.fma(x1, a21);
            a22 = b.fma(x2, a22);
            b = FloatVector.broadcast(SPECIES, w[w3 + c]);
            a30 = b.fma(x0, a30);
            a31 = b.fma(x1, a31);
            a32 = b.fma(x2, a32);
        }
        // Written out rather than through a helper: a vector passed to a call C2 does not inline is boxed.
        a00.intoArray(scratch, 0);
        a01.intoArray(scratch, LANES);
        a02.intoArray(scratch, 2 * LANES);
        a10.intoArray(scratch, 3 * LANES);
        a11.intoArray(scratch, 4 * LANES);
        a12.intoArray(scratch, 5 * LANES);
        a20.intoArray(scratch, 6 * LANES);
        a21.intoArray(scratch, 7 * LANES);
        a22.intoArray(scratch, 8 * LANES);
        a30.intoArray(scratch, 9 * LANES);
        a31.intoArray(scratch, 10 * LANES);
        a32.intoArray(scratch, 11 * LANES);
    }

    /** Four sums: rows 0..3 × the token vector at {@code first}, columns {@code width} apart. */
    private static void tile4x1(float[] w, int wOffset, int columns, float[] panel, int first, int width,
                                float[] scratch) {
        int w0 = wOffset;
        int w1 = w0 + columns;
        int w2 = w1 + columns;
        int w3 = w2 + columns;
        FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        for (int c = 0; c < columns; c++) {
            FloatVector x = FloatVector.fromArray(SPECIES, panel, first + c * width);
            a0 = FloatVector.broadcast(SPECIES, w[w0 + c]).fma(x, a0);
            a1 = FloatVector.broadcast(SPECIES, w[w1 + c]).fma(x, a1);
            a2 = FloatVector.broadcast(SPECIES, w[w2 + c]).fma(x, a2);
            a3 = FloatVector.broadcast(SPECIES, w[w3 + c]).fma(x, a3);
        }
        a0.intoArray(scratch, 0);
        a1.intoArray(scratch, LANES);
        a2.intoArray(scratch, 2 * LANES);
        a3.intoArray(scratch, 3 * LANES);
    }

    /** Scatters a tile's sums, row r and token vector j at {@code scratch[(vectors · r + j) · LANES ..]}, to out. */
    private static void store(float[] scratch, int vectors, int token, int batch, float[] out, int outRows,
                              int firstRow) {
        for (int r = 0; r < ROWS; r++) {
            for (int j = 0; j < vectors; j++) {
                int first = token + j * LANES;
                int lanes = Math.min(LANES, batch - first);
                for (int lane = 0; lane < lanes; lane++) {
                    out[(first + lane) * outRows + firstRow + r] = scratch[(vectors * r + j) * LANES + lane];
                }
            }
        }
    }

    /** Floats {@link #multiply4} needs in its scratch array. */
    static int scratchFloats() {
        return ROWS * VECTORS * LANES;
    }
}
