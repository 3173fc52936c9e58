package dev.zipcache.engine.compute;

/** Element-wise operations of the forward pass, each a few lines of arithmetic on slices of flat arrays. */
final class Kernels {

    private Kernels() {
    }

    /** out = x / rms(x) ⊙ weight, with rms(x) = sqrt(mean(x²) + ε) (RMSNorm). */
    static void rmsNorm(float[] out, int outOffset, float[] x, int xOffset, float[] weight, int size, float epsilon) {
        float sumOfSquares = 0f;
        for (int i = 0; i < size; i++) {
            float value = x[xOffset + i];
            sumOfSquares += value * value;
        }
        float scale = (float) (1.0 / Math.sqrt(sumOfSquares / size + epsilon));
        for (int i = 0; i < size; i++) {
            out[outOffset + i] = weight[i] * (scale * x[xOffset + i]);
        }
    }

    /** gate ← silu(gate) ⊙ up, silu(g) = g·σ(g) (SwiGLU). */
    static void swiGlu(float[] gate, float[] up, int offset, int size) {
        for (int i = offset; i < offset + size; i++) {
            float g = gate[i];
            gate[i] = g / (1f + (float) Math.exp(-g)) * up[i];
        }
    }

    /** x ← x + delta over {@code size} elements. */
    static void add(float[] x, float[] delta, int size) {
        for (int i = 0; i < size; i++) {
            x[i] += delta[i];
        }
    }

    /** x ← x + bias for each of {@code rows} rows of {@code bias.length} elements. */
    static void addBias(float[] x, float[] bias, int rows) {
        for (int row = 0; row < rows; row++) {
            int base = row * bias.length;
            for (int i = 0; i < bias.length; i++) {
                x[base + i] += bias[i];
            }
        }
    }
}
