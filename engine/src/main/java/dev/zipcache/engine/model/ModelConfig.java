package dev.zipcache.engine.model;

/**
 * The hyper-parameters of a loaded model, all read from the file's header or metadata.
 *
 * @param architecture        the architecture
 * @param name                a display name
 * @param embeddingLength     model width
 * @param feedForwardLength   hidden width of the SwiGLU block
 * @param layers              transformer blocks
 * @param heads               query heads
 * @param kvHeads             key/value heads (grouped-query attention when fewer than {@code heads})
 * @param headDimension       elements per head
 * @param vocabularySize      tokens in the vocabulary (rows of the classifier)
 * @param contextLength       the most positions the model was trained for
 * @param rmsEpsilon          RMSNorm's epsilon
 * @param ropeBase            RoPE frequency base (θ)
 * @param ropeDimensions      leading elements of each head that RoPE rotates
 * @param tiedClassifier      whether the classifier is the token embedding table
 */
public record ModelConfig(Architecture architecture, String name, int embeddingLength, int feedForwardLength,
                          int layers, int heads, int kvHeads, int headDimension, int vocabularySize,
                          int contextLength, float rmsEpsilon, float ropeBase, int ropeDimensions,
                          boolean tiedClassifier) {

    public ModelConfig {
        require(embeddingLength > 0 && feedForwardLength > 0 && layers > 0 && heads > 0 && kvHeads > 0
                && headDimension > 0 && vocabularySize > 0 && contextLength > 0, "sizes must be positive");
        require(heads % kvHeads == 0, "heads (" + heads + ") must be a multiple of KV heads (" + kvHeads + ")");
        require(ropeDimensions > 0 && ropeDimensions <= headDimension && ropeDimensions % 2 == 0,
                "RoPE dimensions (" + ropeDimensions + ") must be even and at most the head dimension");
        require(rmsEpsilon > 0 && ropeBase > 0, "RMS epsilon and RoPE base must be positive");
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException("invalid model configuration: " + message);
        }
    }

    /** Width of all query heads together. */
    public int queryWidth() {
        return heads * headDimension;
    }

    /** Width of all KV heads together. */
    public int kvWidth() {
        return kvHeads * headDimension;
    }
}
