package dev.zipcache.cache;

/**
 * The vectors of one (layer, KV head) stream, keys or values, position-major, at one element precision. Growth
 * copies into a larger array, so the storage held is never more than a growth step beyond what is used.
 */
sealed interface HeadStore extends Rows permits FloatHeadStore, HalfHeadStore {

    /** Grows the storage to hold {@code positions} vectors, keeping what is stored. */
    void resize(int positions);

    /** Stores the vector {@code source[sourceOffset ..]} at {@code position}. */
    void store(int position, float[] source, int sourceOffset);
}
