package dev.zipcache.engine.bench;

/**
 * One row of a benchmark: one KV cache at one prompt length, over the timed repetitions.
 *
 * @param kvCacheSpec            the cache's spec string
 * @param promptTokens           tokens prefilled in one batch
 * @param generatedTokens        decode steps timed after the prefill
 * @param threads                compute threads
 * @param repetitions            timed runs summarized (the warm-up runs are not among them)
 * @param prefillTokensPerSecond prompt tokens / prefill time
 * @param decodeTokensPerSecond  generated tokens / time of their decode steps (forward pass and greedy pick)
 * @param ttftMillis             time to first token: the prefill plus picking the first token, in milliseconds
 * @param kvTokens               tokens the cache held at the end of the last run
 * @param kvBytes                bytes the cache held then ({@link dev.zipcache.spi.KvCacheStats#bytes()})
 * @param fp16KvBytes            what the same tokens take as plain fp16
 * @param paperRatio             the compression ratio by the ZipCache paper's formula
 * @param peakResidentBytes      the process's peak resident memory so far (VmHWM), read after the row's runs: it
 *                               includes every earlier row, the model mapping and the JVM; -1 where the platform
 *                               does not report it
 * @param weightsMapped          true when the weights were read from a mapping of the file, false when read into
 *                               memory ({@code --no-mmap}): on some machines this changes decode speed by 2×
 * @param weightBytesPerToken    weight bytes one decode step reads ({@link
 *                               dev.zipcache.engine.model.ModelWeights#bytesReadPerToken()})
 * @param warmupRuns             untimed runs this cache took at this prompt length before its timed runs
 * @param timedCompileMillis     the JIT compilers' working time during the timed runs, summed over their threads, or
 *                               {@link JitClock#UNKNOWN}: well above zero, the runs shared the cores with compilation
 */
public record BenchmarkResult(String kvCacheSpec, int promptTokens, int generatedTokens, int threads,
                              int repetitions, Summary prefillTokensPerSecond, Summary decodeTokensPerSecond,
                              Summary ttftMillis, long kvTokens, long kvBytes, long fp16KvBytes, double paperRatio,
                              long peakResidentBytes, boolean weightsMapped, long weightBytesPerToken,
                              int warmupRuns, long timedCompileMillis) {

    /**
     * Bytes a decode step reads: the weights and the whole KV cache. The cache is taken at the end of the run, its
     * largest, so at long prompts and short generations this is within a few percent of every step's.
     */
    public long decodeBytesPerToken() {
        return weightBytesPerToken + kvBytes;
    }

    /**
     * The read bandwidth decode reached: {@link #decodeBytesPerToken()} × the median decode tokens per second, in
     * GB/s. Against the machine's read bandwidth it says how far decode is from its memory floor.
     */
    public double decodeGigabytesPerSecond() {
        return decodeBytesPerToken() * decodeTokensPerSecond.median() / 1e9;
    }

    /** fp16-equivalent bytes over bytes held; 1 for an empty cache, as {@link dev.zipcache.spi.KvCacheStats}. */
    public double compressionRatio() {
        return kvBytes == 0 ? 1.0 : (double) fp16KvBytes / kvBytes;
    }
}
