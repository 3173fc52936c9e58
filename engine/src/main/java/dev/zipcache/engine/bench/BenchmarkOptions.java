package dev.zipcache.engine.bench;

import dev.zipcache.engine.generate.SessionOptions;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;

/**
 * What a benchmark measures: every KV cache at every prompt length.
 *
 * @param kvCacheSpecs    the caches, as spec strings ({@code fp16}, {@code kivi:bits=2,group=32}, ...), in order
 * @param promptLengths   prompt tokens prefilled before decoding, in order; each plus {@code generatedTokens} must fit
 *                        the model's context
 * @param generatedTokens decode steps after the prefill (greedy; end-of-sequence tokens do not stop them)
 * @param threads         compute threads, the caller's included
 * @param repetitions     timed runs per (cache, prompt length), after the warm-up runs
 * @param device          the compute backend the sessions run on ({@code cpu}, {@code cuda})
 * @param warmup          the untimed runs before them
 */
public record BenchmarkOptions(List<String> kvCacheSpecs, List<Integer> promptLengths, int generatedTokens,
                               int threads, int repetitions, String device, Warmup warmup) {

    /** llama-bench's prompt sizes, cut to what small models hold. */
    public static final List<Integer> DEFAULT_PROMPT_LENGTHS = List.of(128, 512, 2048);
    public static final int DEFAULT_GENERATED_TOKENS = 64;
    public static final int DEFAULT_REPETITIONS = 3;

    public BenchmarkOptions {
        kvCacheSpecs = List.copyOf(kvCacheSpecs);
        promptLengths = List.copyOf(promptLengths);
        if (kvCacheSpecs.isEmpty()) {
            throw new IllegalArgumentException("give at least one KV cache");
        }
        if (kvCacheSpecs.stream().anyMatch(String::isBlank)) {
            throw new IllegalArgumentException("a KV cache spec is empty");
        }
        // Rows are keyed by (cache, prompt length): a repeat would give two rows, and two chart series, of one name.
        requireDistinct(kvCacheSpecs.stream().map(String::strip).toList(), "KV cache");
        if (promptLengths.isEmpty()) {
            throw new IllegalArgumentException("give at least one prompt length");
        }
        for (int length : promptLengths) {
            if (length < 1) {
                throw new IllegalArgumentException("prompt lengths must be at least 1, got " + length);
            }
        }
        requireDistinct(promptLengths, "prompt length");
        if (generatedTokens < 1) {
            throw new IllegalArgumentException("generated tokens must be at least 1, got " + generatedTokens);
        }
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        if (repetitions < 1) {
            throw new IllegalArgumentException("repetitions must be at least 1, got " + repetitions);
        }
        if (device == null || device.isBlank()) {
            throw new IllegalArgumentException("the device must not be empty (cpu, cuda)");
        }
        Objects.requireNonNull(warmup, "warmup");
    }

    /** Options on the default device (the CPU), warmed up until the JIT is quiet. */
    public BenchmarkOptions(List<String> kvCacheSpecs, List<Integer> promptLengths, int generatedTokens, int threads,
                            int repetitions) {
        this(kvCacheSpecs, promptLengths, generatedTokens, threads, repetitions, SessionOptions.DEFAULT_DEVICE,
                Warmup.UNTIL_JIT_QUIET);
    }

    /** The same options with {@code warmup} instead. */
    public BenchmarkOptions withWarmup(Warmup warmup) {
        return new BenchmarkOptions(kvCacheSpecs, promptLengths, generatedTokens, threads, repetitions, device, warmup);
    }

    private static void requireDistinct(List<?> values, String what) {
        HashSet<Object> seen = new HashSet<>();
        for (Object value : values) {
            if (!seen.add(value)) {
                throw new IllegalArgumentException(what + " " + value + " is given twice");
            }
        }
    }

    /** The longest context a run needs: the longest prompt plus the generated tokens. */
    public int longestContext() {
        return promptLengths.stream().mapToInt(Integer::intValue).max().orElseThrow() + generatedTokens;
    }
}
