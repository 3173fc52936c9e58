package dev.zipcache.cuda;

import dev.zipcache.engine.model.ModelConfig;

/**
 * The cos/sin of each (row, frequency) of a batch, computed on the host exactly as the CPU backend's {@code Rope} does
 * (single-precision frequencies and angles, double-precision cos/sin rounded to float) and uploaded, so that both
 * backends rotate by bit-identical factors.
 */
final class RopeTable {

    private final int pairs;
    private final float[] frequencies;
    final float[] cosines;
    final float[] sines;

    RopeTable(ModelConfig config, float[] frequencyDivisors, int maxBatch) {
        this.pairs = config.ropeDimensions() / 2;
        this.frequencies = new float[pairs];
        for (int i = 0; i < pairs; i++) {
            float frequency = (float) (1.0 / Math.pow(config.ropeBase(), (2.0 * i) / config.ropeDimensions()));
            frequencies[i] = frequencyDivisors == null ? frequency : frequency / frequencyDivisors[i];
        }
        this.cosines = new float[maxBatch * pairs];
        this.sines = new float[maxBatch * pairs];
    }

    /** Rotation pairs per head. */
    int pairs() {
        return pairs;
    }

    /** Fills the table for rows at positions {@code firstPosition .. firstPosition + rows − 1}. */
    void prepare(int firstPosition, int rows) {
        for (int row = 0; row < rows; row++) {
            float position = firstPosition + row;
            for (int i = 0; i < pairs; i++) {
                float angle = position * frequencies[i];
                cosines[row * pairs + i] = (float) Math.cos(angle);
                sines[row * pairs + i] = (float) Math.sin(angle);
            }
        }
    }
}
