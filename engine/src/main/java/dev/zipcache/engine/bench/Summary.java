package dev.zipcache.engine.bench;

import java.util.Arrays;

/**
 * One quantity over the timed repetitions: the median, which a slow outlier (a GC pause, a noisy neighbour) does not
 * move, and the min–max range as the spread.
 */
public record Summary(double median, double min, double max) {

    /** Summarizes at least one sample. */
    public static Summary of(double... samples) {
        if (samples.length == 0) {
            throw new IllegalArgumentException("no samples");
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        int middle = sorted.length / 2;
        double median = sorted.length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
        return new Summary(median, sorted[0], sorted[sorted.length - 1]);
    }
}
