package dev.zipcache.engine.compute;

import dev.zipcache.engine.tensor.VectorShapes;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The prefill's matrix product micro-kernel: dot products of 4 weight rows with 4 input rows at once. Each loaded
 * vector is used four times, so the loop does one load per two multiply-adds instead of two loads per one — the
 * difference between a load-bound and a compute-bound prefill.
 */
final class TiledDot {

    private static final VectorSpecies<Float> SPECIES = VectorShapes.floatSpecies();

    private TiledDot() {
    }

    /**
     * {@code out[4·r + b] = Σ_i w[wOffset + r·wStride + i] · x[xOffset + b·xStride + i]} for r, b < 4, i < length.
     */
    static void dot4x4(float[] w, int wOffset, int wStride, float[] x, int xOffset, int xStride, int length,
                       float[] out) {
        int w0 = wOffset;
        int w1 = wOffset + wStride;
        int w2 = wOffset + 2 * wStride;
        int w3 = wOffset + 3 * wStride;
        int x0 = xOffset;
        int x1 = xOffset + xStride;
        int x2 = xOffset + 2 * xStride;
        int x3 = xOffset + 3 * xStride;
        FloatVector a00 = FloatVector.zero(SPECIES), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int i = 0;
        int bound = SPECIES.loopBound(length);
        for (; i < bound; i += SPECIES.length()) {
            FloatVector v0 = FloatVector.fromArray(SPECIES, x, x0 + i);
            FloatVector v1 = FloatVector.fromArray(SPECIES, x, x1 + i);
            FloatVector v2 = FloatVector.fromArray(SPECIES, x, x2 + i);
            FloatVector v3 = FloatVector.fromArray(SPECIES, x, x3 + i);
            FloatVector r = FloatVector.fromArray(SPECIES, w, w0 + i);
            a00 = r.fma(v0, a00);
            a01 = r.fma(v1, a01);
            a02 = r.fma(v2, a02);
            a03 = r.fma(v3, a03);
            r = FloatVector.fromArray(SPECIES, w, w1 + i);
            a10 = r.fma(v0, a10);
            a11 = r.fma(v1, a11);
            a12 = r.fma(v2, a12);
            a13 = r.fma(v3, a13);
            r = FloatVector.fromArray(SPECIES, w, w2 + i);
            a20 = r.fma(v0, a20);
            a21 = r.fma(v1, a21);
            a22 = r.fma(v2, a22);
            a23 = r.fma(v3, a23);
            r = FloatVector.fromArray(SPECIES, w, w3 + i);
            a30 = r.fma(v0, a30);
            a31 = r.fma(v1, a31);
            a32 = r.fma(v2, a32);
            a33 = r.fma(v3, a33);
        }
        out[0] = a00.reduceLanes(VectorOperators.ADD);
        out[1] = a01.reduceLanes(VectorOperators.ADD);
        out[2] = a02.reduceLanes(VectorOperators.ADD);
        out[3] = a03.reduceLanes(VectorOperators.ADD);
        out[4] = a10.reduceLanes(VectorOperators.ADD);
        out[5] = a11.reduceLanes(VectorOperators.ADD);
        out[6] = a12.reduceLanes(VectorOperators.ADD);
        out[7] = a13.reduceLanes(VectorOperators.ADD);
        out[8] = a20.reduceLanes(VectorOperators.ADD);
        out[9] = a21.reduceLanes(VectorOperators.ADD);
        out[10] = a22.reduceLanes(VectorOperators.ADD);
        out[11] = a23.reduceLanes(VectorOperators.ADD);
        out[12] = a30.reduceLanes(VectorOperators.ADD);
        out[13] = a31.reduceLanes(VectorOperators.ADD);
        out[14] = a32.reduceLanes(VectorOperators.ADD);
        out[15] = a33.reduceLanes(VectorOperators.ADD);
        for (; i < length; i++) {
            for (int row = 0; row < 4; row++) {
                float weight = w[wOffset + row * wStride + i];
                for (int b = 0; b < 4; b++) {
                    out[4 * row + b] += weight * x[xOffset + b * xStride + i];
                }
            }
        }
    }

    /** The scalar twin of {@link #dot4x4}. */
    static void dot4x4Scalar(float[] w, int wOffset, int wStride, float[] x, int xOffset, int xStride, int length,
                             float[] out) {
        for (int row = 0; row < 4; row++) {
            for (int b = 0; b < 4; b++) {
                out[4 * row + b] = FloatDot.dotScalar(w, wOffset + row * wStride, x, xOffset + b * xStride, length);
            }
        }
    }
}
