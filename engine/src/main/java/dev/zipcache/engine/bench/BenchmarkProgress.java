package dev.zipcache.engine.bench;

/** Told after each run, warm-ups included, so that a long benchmark can show how far it is. */
@FunctionalInterface
public interface BenchmarkProgress {

    BenchmarkProgress NONE = (runsDone, runsTotal, kvCacheSpec, promptTokens) -> {
    };

    /**
     * @param runsDone    runs finished so far, over the whole benchmark
     * @param runsTotal   all runs: (1 warm-up + repetitions) per cache and prompt length
     * @param kvCacheSpec the cache of the run just finished
     * @param promptTokens its prompt length
     */
    void onRun(int runsDone, int runsTotal, String kvCacheSpec, int promptTokens);
}
