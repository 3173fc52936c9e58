package dev.zipcache.cache;

/**
 * The tokens one KV head attends to, as an ordered list of segments, each pairing where a run of tokens' keys live
 * with where their values live (which need not be split alike: KIVI quantizes keys and values at different times).
 * A cache fills its view at the start of each attend call; arrays are reused, so that allocates nothing.
 */
final class AttentionView {

    private static final int MAX_SEGMENTS = 8;

    final Rows[] keys = new Rows[MAX_SEGMENTS];
    final int[] keyFrom = new int[MAX_SEGMENTS];
    final Rows[] values = new Rows[MAX_SEGMENTS];
    final int[] valueFrom = new int[MAX_SEGMENTS];
    final int[] counts = new int[MAX_SEGMENTS];
    int size;

    AttentionView clear() {
        size = 0;
        return this;
    }

    /** Appends {@code count} tokens whose keys are {@code keys[keyFrom ..]} and values {@code values[valueFrom ..]}. */
    AttentionView add(Rows keyRows, int keyStart, Rows valueRows, int valueStart, int count) {
        if (count <= 0) {
            return this;
        }
        keys[size] = keyRows;
        keyFrom[size] = keyStart;
        values[size] = valueRows;
        valueFrom[size] = valueStart;
        counts[size++] = count;
        return this;
    }
}
