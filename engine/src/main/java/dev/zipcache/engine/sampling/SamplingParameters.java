package dev.zipcache.engine.sampling;

import java.util.concurrent.ThreadLocalRandom;

/**
 * How the next token is chosen from the logits. A temperature of 0 is greedy (arg-max) and ignores the other
 * filters. Otherwise the chain is llama.cpp's: repetition penalty → top-k → top-p → min-p → temperature → draw.
 *
 * @param temperature       0 for greedy; higher flattens the distribution
 * @param topK              keep the k most likely tokens; 0 keeps all
 * @param topP              keep the smallest set whose probability reaches p; 1 keeps all
 * @param minP              drop tokens less likely than minP × the most likely; 0 keeps all
 * @param repetitionPenalty divide positive logits (multiply negative ones) of recently seen tokens; 1 disables
 * @param repetitionWindow  how many recent tokens the penalty looks at
 * @param seed              the random seed; the same seed gives the same tokens
 */
public record SamplingParameters(float temperature, int topK, float topP, float minP, float repetitionPenalty,
                                 int repetitionWindow, long seed) {

    /** Recent tokens the repetition penalty looks at, unless chosen otherwise (llama.cpp's default). */
    public static final int DEFAULT_REPETITION_WINDOW = 64;

    /** Arg-max decoding. */
    public static final SamplingParameters GREEDY = new SamplingParameters(0f, 0, 1f, 0f, 1f,
            DEFAULT_REPETITION_WINDOW, 0L);

    public SamplingParameters {
        check(temperature >= 0 && Float.isFinite(temperature), "temperature must be ≥ 0, got " + temperature);
        check(topK >= 0, "top-k must be ≥ 0, got " + topK);
        check(topP > 0 && topP <= 1, "top-p must be in (0, 1], got " + topP);
        check(minP >= 0 && minP < 1, "min-p must be in [0, 1), got " + minP);
        check(repetitionPenalty > 0 && Float.isFinite(repetitionPenalty),
                "repetition penalty must be > 0, got " + repetitionPenalty);
        check(repetitionWindow >= 0, "repetition window must be ≥ 0, got " + repetitionWindow);
    }

    private static void check(boolean condition, String message) {
        if (!condition) {
            throw new IllegalArgumentException(message);
        }
    }

    /** llama.cpp's defaults (temperature 0.8, top-k 40, top-p 0.95, min-p 0.05) with the given seed. */
    public static SamplingParameters defaults(long seed) {
        return new SamplingParameters(0.8f, 40, 0.95f, 0.05f, 1f, DEFAULT_REPETITION_WINDOW, seed);
    }

    /**
     * The given seed, or a fresh random one when none was given. Random seeds stay below 2^48 so that they survive
     * a trip through JSON numbers (doubles) when reported back to the user.
     */
    public static long seedOrRandom(Long seed) {
        return seed != null ? seed : ThreadLocalRandom.current().nextLong(1L << 48);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }
}
