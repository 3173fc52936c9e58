package dev.zipcache.cache;

/**
 * A cache whose stored tokens can be listed as an {@link AttentionView}: how attention reads them, and how tests
 * read them back to check that attention over the codes equals attention over their dequantized values.
 */
interface ViewableCache {

    /** The tokens of one (layer, KV head) as attention reads them now. */
    AttentionView view(int layer, int kvHead);
}
