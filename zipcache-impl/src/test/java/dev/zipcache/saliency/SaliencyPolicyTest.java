package dev.zipcache.saliency;

import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.SaliencyPolicy;
import dev.zipcache.spi.SaliencyPolicy.ScoringRequest;
import dev.zipcache.spi.SaliencyScorer;
import dev.zipcache.spi.Spec;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The policies on ZIPCACHE.md §13 vector 3 and the probe selection of §5.2. */
class SaliencyPolicyTest {

    /** §5.1's causal attention matrix; row r is the query at position r. */
    private static final float[][] ATTENTION = {
            {1f, 0f, 0f, 0f}, {.6f, .4f, 0f, 0f}, {.5f, .2f, .3f, 0f}, {.4f, .1f, .1f, .4f}};
    private static final KvCacheGeometry ONE_HEAD = new KvCacheGeometry(1, 1, 1, 4, 16);

    private static float[] scores(String policyName) {
        Providers<SaliencyPolicy> policies = Providers.saliencyPolicies();
        SaliencyPolicy policy = policies.find(policyName);
        SaliencyScorer scorer = policy.scorer(new ScoringRequest(0, 0, 4, 0), ONE_HEAD,
                policies.resolve(Spec.parse(policyName)));
        assertThat(scorer.rows()).containsExactly(0, 1, 2, 3);
        for (int row : scorer.rows()) {
            scorer.observe(0, row, ATTENTION[row]);
        }
        float[] scores = new float[4];
        scorer.scores(0, scores);
        return scores;
    }

    @Test
    void accumulatedAndNormalizedScoresOfTheToyMatrix() {
        float[] accumulated = scores("accumulated");
        float[] normalized = scores("normalized");
        float[] expectedAccumulated = {2.5f, 0.7f, 0.4f, 0.4f};
        float[] expectedNormalized = {0.625f, 0.23333f, 0.2f, 0.4f};
        for (int i = 0; i < 4; i++) {
            assertThat(accumulated[i]).isCloseTo(expectedAccumulated[i], within(1e-5f));
            assertThat(normalized[i]).isCloseTo(expectedNormalized[i], within(1e-5f));
        }
        // The newest token outranks tokens 1 and 2 once normalized (§5.1).
        assertThat(normalized[3]).isGreaterThan(normalized[1]).isGreaterThan(normalized[2]);
    }

    @Test
    void probesAreTheRecentFivePercentPlusASeededRandomFivePercent() {
        ProbeSelection selection = new ProbeSelection(0.05, 0.05);
        int[] rows = selection.rows(0, 100, 7, 3);
        assertThat(Arrays.copyOf(rows, 5)).containsExactly(95, 96, 97, 98, 99);
        assertThat(rows).hasSize(10);
        assertThat(Arrays.stream(rows, 5, 10).allMatch(row -> row >= 0 && row < 95)).isTrue();
        assertThat(selection.rows(0, 100, 7, 3)).containsExactly(rows);
        assertThat(selection.rows(0, 100, 8, 3)).isNotEqualTo(rows);
        // Fewer than 20 tokens: floor(0.05 L) = 0 random probes; the recent window is never empty.
        assertThat(selection.rows(0, 19, 7, 0)).containsExactly(18);
        assertThat(selection.rows(0, 1, 7, 0)).containsExactly(0);
    }

    @Test
    void probeCountNormalizationDividesByTheRowsThatSawTheToken() {
        AttentionScorer scorer = new AttentionScorer(new int[] {2, 3}, 0, 4, 1,
                AttentionScorer.Normalization.PROBE_COUNT);
        scorer.observe(0, 2, ATTENTION[2]);
        scorer.observe(0, 3, ATTENTION[3]);
        float[] scores = new float[4];
        scorer.scores(0, scores);
        assertThat(scores[0]).isCloseTo(0.45f, within(1e-6f));
        assertThat(scores[3]).isCloseTo(0.4f, within(1e-6f));
    }

    @Test
    void unknownPolicyAndBadOptionsAreClearErrors() {
        assertThatThrownBy(() -> Providers.saliencyPolicies().find("magic"))
                .hasMessageStartingWith("unknown saliency policy 'magic'; available: accumulated, normalized, probe");
        SaliencyPolicy probe = Providers.saliencyPolicies().find("probe");
        assertThatThrownBy(() -> probe.scorer(new ScoringRequest(0, 0, 4, 0), ONE_HEAD,
                Providers.saliencyPolicies().resolve(Spec.parse("probe:normalization=sideways"))))
                .hasMessageContaining("normalization");
    }
}
