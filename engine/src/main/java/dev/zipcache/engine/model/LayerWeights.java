package dev.zipcache.engine.model;

import dev.zipcache.engine.tensor.WeightMatrix;
import java.util.List;

/**
 * The weights of one transformer block. Norm weights and biases are small and live on the heap; matrices stay in the
 * mapped file.
 *
 * @param queryBias, keyBias, valueBias null unless the architecture has attention biases
 */
public record LayerWeights(float[] attentionNorm, WeightMatrix queryProjection, WeightMatrix keyProjection,
                           WeightMatrix valueProjection, WeightMatrix outputProjection, float[] queryBias,
                           float[] keyBias, float[] valueBias, float[] feedForwardNorm, WeightMatrix gateProjection,
                           WeightMatrix upProjection, WeightMatrix downProjection) {

    /** Bytes a decode step reads from this block: its seven matrices, norms and biases (each read once per token). */
    public long bytes() {
        long bytes = 0;
        for (WeightMatrix matrix : List.of(queryProjection, keyProjection, valueProjection, outputProjection,
                gateProjection, upProjection, downProjection)) {
            bytes += matrix.segment().byteSize();
        }
        for (float[] vector : new float[][] {attentionNorm, queryBias, keyBias, valueBias, feedForwardNorm}) {
            bytes += vector == null ? 0 : (long) vector.length * Float.BYTES;
        }
        return bytes;
    }
}
