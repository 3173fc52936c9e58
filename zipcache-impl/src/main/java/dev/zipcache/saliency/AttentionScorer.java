package dev.zipcache.saliency;

import dev.zipcache.spi.SaliencyScorer;

/**
 * Accumulates observed attention per (KV head, token) and turns it into scores (ZIPCACHE.md §5): the plain sum
 * (H2O's accumulated score), the sum divided by the token's column count in the full causal matrix,
 * {@code L − i} (ZipCache's normalized score, the official code), or divided by the number of observed rows that can
 * see the token (the probe-consistent alternative, §9 A2).
 */
final class AttentionScorer implements SaliencyScorer {

    /** How accumulated attention becomes a score. */
    enum Normalization { NONE, FULL_CAUSAL, PROBE_COUNT }

    private final int[] rows;
    private final int firstToken;
    private final int length;
    private final Normalization normalization;
    private final double[][] accumulated;
    private final int[][] observers;

    AttentionScorer(int[] rows, int firstToken, int length, int kvHeads, Normalization normalization) {
        this.rows = rows.clone();
        this.firstToken = firstToken;
        this.length = length;
        this.normalization = normalization;
        this.accumulated = new double[kvHeads][length - firstToken];
        this.observers = new int[kvHeads][length - firstToken];
    }

    @Override
    public int[] rows() {
        return rows.clone();
    }

    @Override
    public void observe(int kvHead, int row, float[] probabilities) {
        double[] sums = accumulated[kvHead];
        int[] counts = observers[kvHead];
        for (int position = firstToken; position <= row; position++) {
            sums[position - firstToken] += probabilities[position];
            counts[position - firstToken]++;
        }
    }

    @Override
    public void scores(int kvHead, float[] out) {
        double[] sums = accumulated[kvHead];
        for (int i = 0; i < sums.length; i++) {
            int position = firstToken + i;
            double divisor = switch (normalization) {
                case NONE -> 1;
                case FULL_CAUSAL -> length - position;
                case PROBE_COUNT -> Math.max(1, observers[kvHead][i]);
            };
            out[i] = (float) (sums[i] / divisor);
        }
    }
}
