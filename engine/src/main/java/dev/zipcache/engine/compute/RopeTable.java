package dev.zipcache.engine.compute;

import dev.zipcache.engine.model.ModelConfig;

/**
 * The cos/sin of each (row, frequency) of a batch: θ_i = base^(−2i/ropeDimensions) / divisor_i in single precision, as
 * llama2.c computes it (so greedy tokens match its reference), and cos/sin of {@code position · θ_i} in double
 * precision rounded to float. The CPU's {@link Rope} rotates with it; a device backend uploads it, so that every
 * backend rotates by bit-identical factors.
 */
public final class RopeTable {

    private final int pairs;
    private final float[] frequencies;
    private final float[] cosines;
    private final float[] sines;

    /** @param frequencyDivisors Llama 3.1's {@code rope_freqs} or linear scaling per pair; null for none */
    public RopeTable(ModelConfig config, float[] frequencyDivisors, int maxBatch) {
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
    public int pairs() {
        return pairs;
    }

    /** Fills the table for rows at positions {@code firstPosition .. firstPosition + rows − 1}. */
    public void prepare(int firstPosition, int rows) {
        for (int row = 0; row < rows; row++) {
            float position = firstPosition + row;
            for (int i = 0; i < pairs; i++) {
                float angle = position * frequencies[i];
                cosines[row * pairs + i] = (float) Math.cos(angle);
                sines[row * pairs + i] = (float) Math.sin(angle);
            }
        }
    }

    /** cos(position · θ_i) at {@code [row · pairs() + i]}, for the rows of the last {@link #prepare}. */
    public float[] cosines() {
        return cosines;
    }

    /** sin(position · θ_i), laid out as {@link #cosines()}. */
    public float[] sines() {
        return sines;
    }
}
