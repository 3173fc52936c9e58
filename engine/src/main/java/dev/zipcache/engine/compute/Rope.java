package dev.zipcache.engine.compute;

import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.model.RopeStyle;

/**
 * Rotary position embedding: each pair of a head's first {@code ropeDimensions} elements is rotated by
 * {@code position · θ_i}, θ_i = base^(−2i/ropeDimensions) / divisor_i (divisors from Llama 3.1's {@code rope_freqs} or
 * linear scaling). The angles of a batch are computed once and shared by every layer.
 */
final class Rope {

    private final RopeStyle style;
    private final int headDimension;
    private final RopeTable table;

    Rope(ModelConfig config, float[] frequencyDivisors, int maxBatch) {
        this.style = config.architecture().ropeStyle();
        this.headDimension = config.headDimension();
        this.table = new RopeTable(config, frequencyDivisors, maxBatch);
    }

    /** Computes the rotation of rows at positions {@code firstPosition .. firstPosition + rows − 1}. */
    void prepare(int firstPosition, int rows) {
        table.prepare(firstPosition, rows);
    }

    /** Rotates every head of {@code rows} rows of {@code heads} heads in place. */
    void apply(float[] vectors, int rows, int heads) {
        int pairs = table.pairs();
        float[] cosines = table.cosines();
        float[] sines = table.sines();
        int half = style == RopeStyle.HALVES ? pairs : 0;
        for (int row = 0; row < rows; row++) {
            for (int head = 0; head < heads; head++) {
                int base = (row * heads + head) * headDimension;
                for (int i = 0; i < pairs; i++) {
                    int first = style == RopeStyle.ADJACENT_PAIRS ? base + 2 * i : base + i;
                    int second = style == RopeStyle.ADJACENT_PAIRS ? first + 1 : first + half;
                    float cos = cosines[row * pairs + i];
                    float sin = sines[row * pairs + i];
                    float a = vectors[first];
                    float b = vectors[second];
                    vectors[first] = a * cos - b * sin;
                    vectors[second] = a * sin + b * cos;
                }
            }
        }
    }
}
