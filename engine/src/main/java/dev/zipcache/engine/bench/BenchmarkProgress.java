package dev.zipcache.engine.bench;

/** Told after each run, so that a long benchmark can show how far it is. */
@FunctionalInterface
public interface BenchmarkProgress {

    BenchmarkProgress NONE = (runsDone, runsTotal, kvCacheSpec, promptTokens) -> {
    };

    /**
     * After a timed run.
     *
     * @param runsDone    timed runs finished so far, over the whole benchmark
     * @param runsTotal   all timed runs: repetitions × caches × prompt lengths
     * @param kvCacheSpec the cache of the run just finished
     * @param promptTokens its prompt length
     */
    void onRun(int runsDone, int runsTotal, String kvCacheSpec, int promptTokens);

    /**
     * After a warm-up run. Their number is not known ahead when the warm-up lasts until the JIT is quiet
     * ({@link Warmup#UNTIL_JIT_QUIET}).
     *
     * @param warmupRun    the runs this cache has taken at this prompt length, 1 for the first
     * @param timedRunsDone timed runs finished so far, over the whole benchmark
     * @param runsTotal    all timed runs
     */
    default void onWarmup(int warmupRun, int timedRunsDone, int runsTotal, String kvCacheSpec, int promptTokens) {
    }
}
