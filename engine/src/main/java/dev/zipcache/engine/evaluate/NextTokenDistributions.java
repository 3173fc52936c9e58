package dev.zipcache.engine.evaluate;

/**
 * Compares two next-token distributions given as logits, in double precision, without allocating: the log-probability
 * of the actual next token, the KL divergence and the most likely token. Log-probabilities are logit − logZ with
 * logZ = max + log Σ exp(logit − max), the usual shift that keeps exp from overflowing.
 */
final class NextTokenDistributions {

    private NextTokenDistributions() {
    }

    /** log Σ exp(logits[i]) over the first {@code size} logits. */
    static double logPartition(float[] logits, int size) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < size; i++) {
            max = Math.max(max, logits[i]);
        }
        double sum = 0;
        for (int i = 0; i < size; i++) {
            sum += Math.exp(logits[i] - max);
        }
        return max + Math.log(sum);
    }

    /** The natural log-probability of {@code token} under softmax(logits), given logZ. */
    static double logProbability(float[] logits, double logPartition, int token) {
        return logits[token] - logPartition;
    }

    /**
     * KL(p ‖ q) = Σ p_i (log p_i − log q_i) in nats, where p = softmax(reference) and q = softmax(candidate). With
     * log p_i = a_i − logZ_a this is Σ p_i (a_i − b_i) − logZ_a + logZ_b (Σ p_i = 1), one pass over the vocabulary.
     */
    static double klDivergence(float[] reference, double referenceLogPartition, float[] candidate,
                               double candidateLogPartition, int size) {
        double weighted = 0;
        for (int i = 0; i < size; i++) {
            double logitReference = reference[i];
            weighted += Math.exp(logitReference - referenceLogPartition) * (logitReference - candidate[i]);
        }
        // Rounding can leave a tiny negative value for identical distributions; KL is never below 0.
        return Math.max(0, weighted - referenceLogPartition + candidateLogPartition);
    }

    /** The index of the largest logit (the first on a tie), as greedy decoding would pick it. */
    static int argmax(float[] logits, int size) {
        int best = 0;
        for (int i = 1; i < size; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
