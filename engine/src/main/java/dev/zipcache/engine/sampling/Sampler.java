package dev.zipcache.engine.sampling;

import java.util.Arrays;
import java.util.random.RandomGenerator;
import java.util.random.RandomGeneratorFactory;

/**
 * Chooses tokens from logits by {@link SamplingParameters}. One sampler per generation: it owns its random stream
 * (seeded, so the same seed repeats the same tokens) and its scratch arrays, so sampling allocates nothing.
 */
public final class Sampler {

    private final SamplingParameters parameters;
    private final RandomGenerator random;
    /** Candidates as (probability bits << 32 | token): positive floats sort like their bits. */
    private final long[] candidates;
    private final float[] probabilities;

    public Sampler(SamplingParameters parameters, int vocabularySize) {
        this.parameters = parameters;
        this.random = RandomGeneratorFactory.of("L64X128MixRandom").create(parameters.seed());
        this.candidates = new long[vocabularySize];
        this.probabilities = new float[vocabularySize];
    }

    /**
     * Picks the next token.
     *
     * @param logits  the model's scores; modified in place by the repetition penalty
     * @param history the tokens so far (prompt and generated), for the repetition penalty
     */
    public int sample(float[] logits, int[] history, int historyLength) {
        int vocabulary = candidates.length;
        applyRepetitionPenalty(logits, history, historyLength);
        if (parameters.isGreedy()) {
            return argMax(logits, vocabulary);
        }
        // Softmax at temperature 1 ranks candidates for top-k/top-p/min-p; temperature applies to the survivors.
        float max = logits[argMax(logits, vocabulary)];
        int count = 0;
        for (int token = 0; token < vocabulary; token++) {
            float logit = logits[token];
            if (logit == Float.NEGATIVE_INFINITY || Float.isNaN(logit)) {
                continue;
            }
            float weight = (float) Math.exp(logit - max);
            candidates[count++] = ((long) Float.floatToIntBits(weight) << 32) | token;
        }
        Arrays.sort(candidates, 0, count); // ascending; the most likely is last
        int keep = parameters.topK() > 0 ? Math.min(parameters.topK(), count) : count;
        int first = count - keep;
        double total = 0;
        for (int i = first; i < count; i++) {
            total += weightOf(candidates[i]);
        }
        if (parameters.topP() < 1f) {
            double cumulative = 0;
            int newFirst = count - 1;
            for (int i = count - 1; i >= first; i--) {
                cumulative += weightOf(candidates[i]) / total;
                newFirst = i;
                if (cumulative >= parameters.topP()) {
                    break;
                }
            }
            first = newFirst;
        }
        if (parameters.minP() > 0f) {
            float threshold = parameters.minP() * weightOf(candidates[count - 1]);
            while (first < count - 1 && weightOf(candidates[first]) < threshold) {
                first++;
            }
        }
        double sum = 0;
        for (int i = first; i < count; i++) {
            int token = tokenOf(candidates[i]);
            float p = (float) Math.exp((logits[token] - max) / parameters.temperature());
            probabilities[i] = p;
            sum += p;
        }
        double draw = random.nextDouble() * sum;
        for (int i = count - 1; i >= first; i--) {
            draw -= probabilities[i];
            if (draw <= 0) {
                return tokenOf(candidates[i]);
            }
        }
        return tokenOf(candidates[count - 1]);
    }

    private void applyRepetitionPenalty(float[] logits, int[] history, int historyLength) {
        float penalty = parameters.repetitionPenalty();
        if (penalty == 1f || parameters.repetitionWindow() == 0) {
            return;
        }
        int from = Math.max(0, historyLength - parameters.repetitionWindow());
        // Each token once, however often it appears: mark with NaN-free sign trick via probabilities scratch.
        Arrays.fill(probabilities, 0f);
        for (int i = from; i < historyLength; i++) {
            int token = history[i];
            if (probabilities[token] != 0f) {
                continue;
            }
            probabilities[token] = 1f;
            logits[token] = logits[token] > 0 ? logits[token] / penalty : logits[token] * penalty;
        }
    }

    /** The index of the largest logit; the lowest index on ties. */
    public static int argMax(float[] logits, int length) {
        int best = 0;
        for (int i = 1; i < length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }

    private static float weightOf(long candidate) {
        return Float.intBitsToFloat((int) (candidate >>> 32));
    }

    private static int tokenOf(long candidate) {
        return (int) candidate;
    }
}
