package dev.zipcache.engine.compute;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;

/**
 * The transformer forward pass of one sequence on one compute backend: the seam where a second backend (CUDA) plugs
 * in. An instance owns its scratch buffers and is used by one thread at a time.
 */
public interface ForwardPass extends AutoCloseable {

    /**
     * Runs {@code count} tokens through the model at positions {@code cache.length() ..}, appends their keys and
     * values to {@code cache} and commits them. Prompts longer than the backend's batch are processed in several
     * batches, each reading the weights once; after a prompt's last batch the cache's
     * {@link KvCache#endPrefill()} runs.
     *
     * @param kind       {@link KvCache.AttentionKind#PREFILL} for a prompt, {@code DECODE} for a generated token
     * @param allLogits  true to return the logits of every token ({@code count × vocabulary}, for scoring), false
     *                   for the last token's only
     * @return the logits; for {@code allLogits == false} a buffer reused by the next call
     */
    float[] forward(int[] tokens, int offset, int count, KvCache cache, KvCache.AttentionKind kind, boolean allLogits);

    /**
     * Creates the KV cache this pass runs with: by default any cache on the class path, chosen by its spec string. A
     * backend whose caches live in device memory overrides this and accepts the specs it implements.
     *
     * @throws IllegalArgumentException for an unknown or invalid spec, or one this backend does not implement
     */
    default KvCache createCache(String spec, KvCacheGeometry geometry) {
        return Providers.createCache(spec, geometry);
    }

    @Override
    void close();
}
