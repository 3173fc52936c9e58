package dev.zipcache.engine.bench;

import java.time.Duration;

/**
 * How many untimed runs come before the timed ones at each (cache, prompt length).
 *
 * <p>HotSpot compiles a method only after it has run often, and the code a run reaches once (a cache's compression
 * at the prompt's end, its re-compressions) gets there only after many runs. Each compilation takes a core from the
 * run it overlaps, and on two cores a decode with two threads then runs 2–3× slower. A cache with more code needs
 * more runs: on a 60M-parameter model at 128 prompt tokens {@code fp16} was settled after ~6 runs and
 * {@code zipcache} after ~20, so one warm-up run measured {@code zipcache} at 0.37–0.65× {@code fp16} where settled
 * steps are equal (NOTES §23).
 *
 * <p>So by default ({@link #UNTIL_JIT_QUIET}) the warm-up repeats until a run during which the compilers worked less
 * than {@value #QUIET_SHARE_PERCENT}% of its wall time, for at most {@value #MAX_QUIET_RUNS} runs and
 * {@link #QUIET_BUDGET} of warm-up (a run that long has had its compilations). Where the JVM does not report
 * compilation time, one run. A fixed count ({@code --warmup N}) is there for comparisons with tools that warm up a
 * fixed number of times, and 0 for none.
 *
 * @param fixedRuns this many runs, or -1 for runs until the JIT is quiet
 */
public record Warmup(int fixedRuns) {

    /** Runs until the JIT is quiet, the default. */
    public static final Warmup UNTIL_JIT_QUIET = new Warmup(-1);

    static final int QUIET_SHARE_PERCENT = 5;
    static final int MAX_QUIET_RUNS = 30;
    static final Duration QUIET_BUDGET = Duration.ofSeconds(60);

    public Warmup {
        if (fixedRuns < -1) {
            throw new IllegalArgumentException("warm-up runs must be 0 or more, got " + fixedRuns);
        }
    }

    /** Exactly {@code runs} warm-up runs. */
    public static Warmup runs(int runs) {
        if (runs < 0) {
            throw new IllegalArgumentException("warm-up runs must be 0 or more, got " + runs);
        }
        return new Warmup(runs);
    }

    /**
     * {@code auto} or a count of runs, as the command line gives it.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Warmup parse(String text) {
        String value = text.strip();
        if (value.equals("auto")) {
            return UNTIL_JIT_QUIET;
        }
        try {
            return runs(Integer.parseInt(value));
        } catch (NumberFormatException notANumber) {
            throw new IllegalArgumentException("warm-up must be 'auto' or a number of runs, not '" + text + "'");
        }
    }

    public boolean untilJitQuiet() {
        return fixedRuns < 0;
    }

    /**
     * Whether to take another warm-up run after {@code runsDone} of them.
     *
     * @param lastRunNanos         wall time of the last warm-up run (ignored before the first)
     * @param lastRunCompileMillis the compilers' working time during it, or {@link JitClock#UNKNOWN}
     * @param warmupNanos          wall time of all warm-up runs so far
     */
    boolean wantsAnotherRun(int runsDone, long lastRunNanos, long lastRunCompileMillis, long warmupNanos) {
        if (!untilJitQuiet()) {
            return runsDone < fixedRuns;
        }
        if (runsDone == 0) {
            return true;
        }
        if (lastRunCompileMillis == JitClock.UNKNOWN || runsDone >= MAX_QUIET_RUNS
                || warmupNanos >= QUIET_BUDGET.toNanos()) {
            return false;
        }
        return lastRunCompileMillis * 1_000_000L * 100 >= lastRunNanos * QUIET_SHARE_PERCENT;
    }

    @Override
    public String toString() {
        return untilJitQuiet() ? "auto" : Integer.toString(fixedRuns);
    }
}
