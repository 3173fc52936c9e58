package dev.zipcache.engine.sampling;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each filter of the sampling chain keeps exactly the tokens its definition allows. */
class SamplerTest {

    /** Logits whose softmax is (0.5, 0.25, 0.125, 0.0625, 0.0625). */
    private static float[] logits() {
        return new float[] {(float) Math.log(8), (float) Math.log(4), (float) Math.log(2), 0f, 0f};
    }

    private static Set<Integer> drawn(SamplingParameters parameters, int draws) {
        Sampler sampler = new Sampler(parameters, 5);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < draws; i++) {
            seen.add(sampler.sample(logits(), new int[0], 0));
        }
        return seen;
    }

    @Test
    void greedyTakesTheArgMax() {
        assertThat(drawn(SamplingParameters.GREEDY, 20)).containsExactly(0);
    }

    @Test
    void topKKeepsTheKMostLikely() {
        assertThat(drawn(new SamplingParameters(1f, 2, 1f, 0f, 1f, 64, 1), 400)).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void topPKeepsTheSmallestSetReachingP() {
        // 0.5 + 0.25 = 0.75 ≥ 0.7: tokens 0 and 1.
        assertThat(drawn(new SamplingParameters(1f, 0, 0.7f, 0f, 1f, 64, 2), 400)).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheBest() {
        // 0.3 × 0.5 = 0.15: tokens with 0.125 and less go.
        assertThat(drawn(new SamplingParameters(1f, 0, 1f, 0.3f, 1f, 64, 3), 400)).containsExactlyInAnyOrder(0, 1);
    }

    @Test
    void withoutFiltersEveryTokenAppearsRoughlyAtItsProbability() {
        Sampler sampler = new Sampler(new SamplingParameters(1f, 0, 1f, 0f, 1f, 64, 4), 5);
        int[] counts = new int[5];
        int draws = 20_000;
        for (int i = 0; i < draws; i++) {
            counts[sampler.sample(logits(), new int[0], 0)]++;
        }
        double[] expected = {0.5, 0.25, 0.125, 0.0625, 0.0625};
        for (int token = 0; token < 5; token++) {
            double p = expected[token];
            double sigma = Math.sqrt(p * (1 - p) / draws);
            assertThat((double) counts[token] / draws).isCloseTo(p, org.assertj.core.data.Offset.offset(5 * sigma));
        }
    }

    @Test
    void sameSeedSameSequence() {
        SamplingParameters parameters = new SamplingParameters(1f, 0, 1f, 0f, 1f, 64, 99);
        Sampler first = new Sampler(parameters, 5);
        Sampler second = new Sampler(parameters, 5);
        for (int i = 0; i < 100; i++) {
            assertThat(first.sample(logits(), new int[0], 0)).isEqualTo(second.sample(logits(), new int[0], 0));
        }
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOfRecentTokensOnce() {
        float[] logits = {2f, -2f, 2f};
        new Sampler(new SamplingParameters(0f, 0, 1f, 0f, 2f, 2, 0), 3).sample(logits, new int[] {0, 1, 1}, 3);
        // The window of 2 holds token 1 (twice): only it is penalized, once.
        assertThat(logits).containsExactly(2f, -4f, 2f);
    }

    @Test
    void rejectsParametersOutOfRange() {
        assertThatThrownBy(() -> new SamplingParameters(-1f, 0, 1f, 0f, 1f, 64, 0)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new SamplingParameters(1f, 0, 0f, 0f, 1f, 64, 0)).hasMessageContaining("top-p");
        assertThatThrownBy(() -> new SamplingParameters(1f, 0, 1f, 1f, 1f, 64, 0)).hasMessageContaining("min-p");
    }
}
