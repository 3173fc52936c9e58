package dev.zipcache.spi;

/**
 * Scores the tokens {@code firstToken .. length − 1} of one layer from the attention probabilities of chosen query
 * rows. The cache asks for {@link #rows()}, computes those rows' causal attention probabilities per KV head (summed
 * over the query heads that share it), passes them to {@link #observe}, then reads {@link #scores}. Different KV heads
 * may be observed concurrently.
 */
public interface SaliencyScorer {

    /** Positions of the query rows to observe, in {@code [firstToken, length)}; a position may repeat. */
    int[] rows();

    /**
     * Adds one observed row: {@code probabilities[position]} is the attention weight of the query at {@code row} on
     * {@code position}, summed over the query heads of {@code kvHead}, for positions {@code firstToken .. row}
     * (entries before {@code firstToken} are unspecified: those tokens are already compressed and not scored). The
     * weights are normalized over every visible token, compressed ones included.
     */
    void observe(int kvHead, int row, float[] probabilities);

    /**
     * Writes the score of positions {@code firstToken .. length − 1} of {@code kvHead} to
     * {@code out[0 .. length − firstToken)}; higher means more salient.
     */
    void scores(int kvHead, float[] out);
}
