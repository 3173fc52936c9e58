package dev.zipcache.saliency;

import java.util.SplittableRandom;

/**
 * ZipCache's probe rows (ZIPCACHE.md §5.2 step 1): every position of the most recent {@code recent} fraction, plus
 * {@code floor(random × n)} positions drawn uniformly, with replacement, from the rest. The draw is seeded per layer
 * so a run can be repeated (the official code's draw is unseeded, §9 A9).
 */
record ProbeSelection(double recentFraction, double randomFraction) {

    int[] rows(int firstToken, int length, long seed, int layer) {
        int tokens = length - firstToken;
        // The official code computes floor(0.95·L) as the start of the recent window.
        int recentStart = firstToken + (int) Math.floor((1.0 - recentFraction) * tokens);
        recentStart = Math.min(recentStart, length - 1);
        int randomCount = recentStart > firstToken ? (int) Math.floor(randomFraction * tokens) : 0;
        int[] rows = new int[length - recentStart + randomCount];
        int next = 0;
        for (int position = recentStart; position < length; position++) {
            rows[next++] = position;
        }
        SplittableRandom random = new SplittableRandom(seed * 1_000_003L + layer);
        for (int i = 0; i < randomCount; i++) {
            rows[next++] = firstToken + random.nextInt(recentStart - firstToken);
        }
        return rows;
    }
}
