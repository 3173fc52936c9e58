package dev.zipcache.engine.tokenizer;

/**
 * The BPE merge list as a lookup from a pair of token ids to the merge's rank (its index in GGUF's
 * {@code tokenizer.ggml.merges}; lower merges first) and the id of the merged token.
 *
 * <p>An open-addressing hash table over {@code long} keys: Llama 3 has 280,147 merges, and boxed {@code Long → Integer}
 * entries would cost several times the memory and a pointer chase per lookup in the merge loop.
 */
final class MergeTable {

    /** Returned by {@link #rank} when the pair has no merge. */
    static final int NO_MERGE = -1;

    private static final long EMPTY = -1L; // never a key: token ids are non-negative

    private final long[] keys;
    private final int[] ranks;
    private final int[] mergedIds;
    private final int mask;
    private int size;

    /** An empty table with room for {@code capacity} merges. */
    MergeTable(int capacity) {
        int slots = Integer.highestOneBit(Math.max(4, capacity * 2 - 1)) << 1; // load factor at most 1/2
        keys = new long[slots];
        java.util.Arrays.fill(keys, EMPTY);
        ranks = new int[slots];
        mergedIds = new int[capacity];
        mask = slots - 1;
    }

    /**
     * Records that {@code left right} merges into {@code merged} with {@code rank}; a pair already present keeps its
     * earlier (lower) rank, as in HF tokenizers where a later duplicate can never apply.
     *
     * @return whether the pair was new
     */
    boolean add(int left, int right, int rank, int merged) {
        long key = key(left, right);
        int slot = slotOf(key);
        if (keys[slot] == key) {
            return false;
        }
        keys[slot] = key;
        ranks[slot] = rank;
        mergedIds[rank] = merged;
        size++;
        return true;
    }

    /** The rank of the merge of {@code left} and {@code right}, or {@link #NO_MERGE}. */
    int rank(int left, int right) {
        long key = key(left, right);
        int slot = slotOf(key);
        return keys[slot] == key ? ranks[slot] : NO_MERGE;
    }

    /** The token that the merge of rank {@code rank} produces. */
    int mergedId(int rank) {
        return mergedIds[rank];
    }

    /** Merges in the table. */
    int size() {
        return size;
    }

    private static long key(int left, int right) {
        return (long) left << 32 | (right & 0xFFFF_FFFFL);
    }

    /** The slot holding {@code key}, or the empty slot where it would go (linear probing). */
    private int slotOf(long key) {
        int slot = (int) mix(key) & mask;
        while (keys[slot] != EMPTY && keys[slot] != key) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    /** A 64-bit finalizer (from SplitMix64), so that ids differing in a few low bits spread over the table. */
    private static long mix(long value) {
        value = (value ^ (value >>> 30)) * 0xBF58476D1CE4E5B9L;
        value = (value ^ (value >>> 27)) * 0x94D049BB133111EBL;
        return value ^ (value >>> 31);
    }
}
