package dev.zipcache.engine.compute;

import dev.zipcache.engine.model.ModelConfig;
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
     * batches, each reading the weights once; a prompt is announced to the cache ({@link KvCache#beginPrefill}) before
     * its first batch, and the cache's {@link KvCache#endPrefill()} runs after its last.
     *
     * @param kind       {@link KvCache.AttentionKind#PREFILL} for a prompt, {@code DECODE} for a generated token
     * @param allLogits  true to return the logits of every token ({@code count × vocabulary}, for scoring), false
     *                   for the last token's only
     * @return the logits; for {@code allLogits == false} a buffer reused by the next call
     */
    float[] forward(int[] tokens, int offset, int count, KvCache cache, KvCache.AttentionKind kind, boolean allLogits);

    /** One batch of {@link #forward}: {@code rows} tokens from {@code offset}; {@code logits} null when not wanted. */
    @FunctionalInterface
    interface BatchStep {
        /** @param firstLogitRow where the batch's rows go in {@code logits} for all logits, or −1 for the last only */
        void run(int offset, int rows, float[] logits, int firstLogitRow);
    }

    /**
     * The part of {@link #forward} every backend shares: checks the count and the model's context, announces a prompt,
     * runs the tokens in batches of at most {@code maxBatch} (only the batches whose logits are returned compute
     * them), and ends a prompt.
     *
     * @param lastLogits the buffer returned when {@code allLogits} is false
     */
    static float[] inBatches(int offset, int count, int maxBatch, ModelConfig config, KvCache cache,
                             KvCache.AttentionKind kind, boolean allLogits, float[] lastLogits, BatchStep step) {
        if (count <= 0) {
            throw new IllegalArgumentException("nothing to run: " + count + " tokens");
        }
        if (cache.length() + count > config.contextLength()) {
            throw new IllegalArgumentException("sequence of " + (cache.length() + count)
                    + " tokens exceeds the model's context of " + config.contextLength());
        }
        float[] logits = allLogits ? new float[count * config.vocabularySize()] : lastLogits;
        if (kind == KvCache.AttentionKind.PREFILL) {
            cache.beginPrefill(count);
        }
        for (int done = 0; done < count; ) {
            int batch = Math.min(maxBatch, count - done);
            boolean wantLogits = allLogits || done + batch == count;
            step.run(offset + done, batch, wantLogits ? logits : null, allLogits ? done : -1);
            done += batch;
        }
        if (kind == KvCache.AttentionKind.PREFILL) {
            cache.endPrefill();
        }
        return logits;
    }

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
