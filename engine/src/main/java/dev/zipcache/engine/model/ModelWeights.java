package dev.zipcache.engine.model;

import dev.zipcache.engine.tensor.WeightMatrix;

import java.util.List;

/**
 * All weights of a model.
 *
 * @param tokenEmbedding  vocabulary × width; a token's embedding is its row
 * @param layers          the transformer blocks
 * @param outputNorm      the final RMSNorm
 * @param classifier      vocabulary × width; the same object as {@code tokenEmbedding} when tied
 * @param ropeFrequencyDivisors per-frequency divisors (Llama 3.1+ {@code rope_freqs}), or null
 */
public record ModelWeights(WeightMatrix tokenEmbedding, List<LayerWeights> layers, float[] outputNorm,
                           WeightMatrix classifier, float[] ropeFrequencyDivisors) {

    public ModelWeights {
        layers = List.copyOf(layers);
    }
}
