package dev.zipcache.engine.generate;

import dev.zipcache.engine.compute.ComputeBackend;
import dev.zipcache.engine.compute.CpuForwardPass;

/**
 * How a session runs.
 *
 * @param kvCacheSpec the KV cache, as a spec string ({@code fp16}, {@code fp32}, ...)
 * @param threads     compute threads, the caller's included
 * @param maxBatch    prompt tokens per forward batch
 * @param device      the compute backend by name: {@code cpu} (default) or {@code cuda} when the zipcache-cuda module
 *                    is on the class path ({@link ComputeBackend#named})
 */
public record SessionOptions(String kvCacheSpec, int threads, int maxBatch, String device) {

    /** The cache used when none is chosen. */
    public static final String DEFAULT_KV_CACHE = "fp16";
    /** The backend used when none is chosen. */
    public static final String DEFAULT_DEVICE = ComputeBackend.CPU;

    public SessionOptions {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (maxBatch < 1) {
            throw new IllegalArgumentException("batch must be at least 1, got " + maxBatch);
        }
        if (device == null || device.isBlank()) {
            throw new IllegalArgumentException("the device must not be empty (cpu, cuda)");
        }
    }

    /** Options on the default device. */
    public SessionOptions(String kvCacheSpec, int threads, int maxBatch) {
        this(kvCacheSpec, threads, maxBatch, DEFAULT_DEVICE);
    }

    /** The default cache, one thread per available processor, the CPU. */
    public static SessionOptions defaults() {
        return new SessionOptions(DEFAULT_KV_CACHE, Runtime.getRuntime().availableProcessors(),
                CpuForwardPass.DEFAULT_MAX_BATCH, DEFAULT_DEVICE);
    }

    public SessionOptions withKvCache(String spec) {
        return new SessionOptions(spec, threads, maxBatch, device);
    }

    public SessionOptions withThreads(int count) {
        return new SessionOptions(kvCacheSpec, count, maxBatch, device);
    }

    public SessionOptions withMaxBatch(int tokens) {
        return new SessionOptions(kvCacheSpec, threads, tokens, device);
    }

    public SessionOptions withDevice(String name) {
        return new SessionOptions(kvCacheSpec, threads, maxBatch, name);
    }
}
