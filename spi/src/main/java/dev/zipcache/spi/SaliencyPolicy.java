package dev.zipcache.spi;

/**
 * Decides how important each cached token is, from attention probabilities it observes: which query rows it needs
 * (every row, or a few probes), and how it turns their probabilities into per-token scores. Found with
 * {@link java.util.ServiceLoader} and selected by name; register in
 * {@code META-INF/services/dev.zipcache.spi.SaliencyPolicy}.
 */
public interface SaliencyPolicy extends NamedProvider {

    /** Starts scoring one prompt (or follow-up chunk) of one layer; {@code options} resolved against this policy. */
    SaliencyScorer scorer(ScoringRequest request, KvCacheGeometry geometry, SpecOptions options);

    /**
     * What is being scored.
     *
     * @param layer       the layer (policies that sample probes seed each layer differently)
     * @param firstToken  position of the first token to score (tokens before it are already compressed)
     * @param length      tokens visible to the last row: positions {@code 0 .. length − 1}
     * @param seed        the cache's seed, for reproducible probe draws
     */
    record ScoringRequest(int layer, int firstToken, int length, long seed) {
    }
}
