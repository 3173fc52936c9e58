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

    /**
     * Bytes of weights one decode step reads: every block's, the output norm, the classifier, and one row of the
     * token embedding. With the KV cache's bytes, this over the machine's read bandwidth is decode's floor.
     */
    public long bytesReadPerToken() {
        long bytes = classifier.segment().byteSize() + tokenEmbedding.segment().byteSize() / tokenEmbedding.rows()
                + (long) outputNorm.length * Float.BYTES;
        for (LayerWeights layer : layers) {
            bytes += layer.bytes();
        }
        return bytes;
    }
}
