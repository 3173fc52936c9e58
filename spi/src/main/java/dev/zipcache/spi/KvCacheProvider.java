package dev.zipcache.spi;


/**
 * A named kind of KV cache, found with {@link java.util.ServiceLoader} and selected by a spec string such as
 * {@code fp16} or {@code zipcache:salient-ratio=0.7}. Register an implementation in
 * {@code META-INF/services/dev.zipcache.spi.KvCacheProvider}.
 */
public interface KvCacheProvider extends NamedProvider {

    /**
     * Creates an empty cache for one sequence.
     *
     * @param options every documented option, the spec's values over the defaults; keys were already checked
     * @throws IllegalArgumentException when an option's value is invalid, with a message naming it
     */
    KvCache create(KvCacheGeometry geometry, SpecOptions options);
}
