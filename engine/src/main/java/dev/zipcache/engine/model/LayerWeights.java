package dev.zipcache.engine.model;

import dev.zipcache.engine.tensor.WeightMatrix;

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
}
