package dev.zipcache.engine.evaluate;

import dev.zipcache.engine.generate.SessionOptions;

/**
 * How a perplexity run is made.
 *
 * @param kvCacheSpec     the KV cache under test, as a spec string ({@code fp16}, ...); it is compared with an
 *                        {@value #REFERENCE_KV_CACHE} reference on the same positions
 * @param prefillFraction the share F of each document, in [0, 1), given as a prompt and not scored: the first
 *                        max(1, floor(F × length)) tokens are prefilled as one batch; F = 0 scores every token after
 *                        BOS, the prefill's logits included
 * @param maxDocuments    how many documents to keep, from the first
 * @param separator       the line that ends a document
 * @param threads         compute threads of each of the two sessions (they run in turn, never at once)
 * @param device          the compute backend of the session under test ({@code cpu}, {@code cuda}); the
 *                        {@value #REFERENCE_KV_CACHE} reference always runs on the CPU, where that cache exists
 */
public record PerplexityOptions(String kvCacheSpec, double prefillFraction, int maxDocuments, String separator,
                                int threads, String device) {

    /** The full-precision cache every run is compared with. */
    public static final String REFERENCE_KV_CACHE = "fp32";
    /** Half of each document is the prompt, by default. */
    public static final double DEFAULT_PREFILL_FRACTION = 0.5;

    public PerplexityOptions {
        if (kvCacheSpec == null || kvCacheSpec.isBlank()) {
            throw new IllegalArgumentException("the KV cache spec must not be empty");
        }
        if (!(prefillFraction >= 0 && prefillFraction < 1)) {
            throw new IllegalArgumentException("the prefill fraction must be in [0, 1), got " + prefillFraction);
        }
        if (maxDocuments < 1) {
            throw new IllegalArgumentException("the number of documents must be at least 1, got " + maxDocuments);
        }
        if (separator == null || separator.isBlank()) {
            throw new IllegalArgumentException("the document separator must not be blank");
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (device == null || device.isBlank()) {
            throw new IllegalArgumentException("the device must not be empty (cpu, cuda)");
        }
    }

    /** Options with the session under test on the CPU. */
    public PerplexityOptions(String kvCacheSpec, double prefillFraction, int maxDocuments, String separator,
                             int threads) {
        this(kvCacheSpec, prefillFraction, maxDocuments, separator, threads, SessionOptions.DEFAULT_DEVICE);
    }

    /** fp16 cache, half prompt, every document, the TinyStories separator, one thread per processor. */
    public static PerplexityOptions defaults() {
        return new PerplexityOptions("fp16", DEFAULT_PREFILL_FRACTION, Integer.MAX_VALUE,
                DocumentSplitter.END_OF_TEXT, Runtime.getRuntime().availableProcessors());
    }

    public PerplexityOptions withKvCache(String spec) {
        return new PerplexityOptions(spec, prefillFraction, maxDocuments, separator, threads, device);
    }

    public PerplexityOptions withPrefillFraction(double fraction) {
        return new PerplexityOptions(kvCacheSpec, fraction, maxDocuments, separator, threads, device);
    }

    public PerplexityOptions withMaxDocuments(int count) {
        return new PerplexityOptions(kvCacheSpec, prefillFraction, count, separator, threads, device);
    }

    public PerplexityOptions withSeparator(String line) {
        return new PerplexityOptions(kvCacheSpec, prefillFraction, maxDocuments, line, threads, device);
    }

    public PerplexityOptions withDevice(String name) {
        return new PerplexityOptions(kvCacheSpec, prefillFraction, maxDocuments, separator, threads, name);
    }

    public PerplexityOptions withThreads(int count) {
        return new PerplexityOptions(kvCacheSpec, prefillFraction, maxDocuments, separator, count, device);
    }
}
