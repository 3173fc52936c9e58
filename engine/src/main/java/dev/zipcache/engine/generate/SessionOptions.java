package dev.zipcache.engine.generate;

import dev.zipcache.engine.compute.CpuForwardPass;

/**
 * How a session runs.
 *
 * @param kvCacheSpec the KV cache, as a spec string ({@code fp16}, {@code fp32}, ...)
 * @param threads     compute threads, the caller's included
 * @param maxBatch    prompt tokens per forward batch
 */
public record SessionOptions(String kvCacheSpec, int threads, int maxBatch) {

    /** The cache used when none is chosen. */
    public static final String DEFAULT_KV_CACHE = "fp16";

    public SessionOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + maxBatch);
        }
    }

    /** The default cache, one thread per available processor. */
    public static SessionOptions defaults() {
        return new SessionOptions(DEFAULT_KV_CACHE, Runtime.getRuntime().availableProcessors(),
                CpuForwardPass.DEFAULT_MAX_BATCH);
    }

    public SessionOptions withKvCache(String spec) {
        return new SessionOptions(spec, threads, maxBatch);
    }

    public SessionOptions withThreads(int count) {
        return new SessionOptions(kvCacheSpec, count, maxBatch);
    }
}
