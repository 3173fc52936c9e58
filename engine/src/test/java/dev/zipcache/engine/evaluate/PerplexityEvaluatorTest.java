package dev.zipcache.engine.evaluate;

import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * The perplexity protocol on stories260K and the TinyStories sample, checked against an independent NumPy
 * simulation (default protocol) and against {@code reference.json} (every token from BOS).
 */
class PerplexityEvaluatorTest {

    static Model model;
    static String text;

    @BeforeAll
    static void load() throws IOException {
        model = Model.load(SharedFiles.file("models/stories260K/stories260K.bin"));
        text = Files.readString(SharedFiles.file("data/tinystories_train_sample_129.txt"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static PerplexityOptions options(String cache) {
        return PerplexityOptions.defaults().withKvCache(cache).withMaxDocuments(20).withThreads(2);
    }

    @Test
    void fullPrecisionAgainstItselfMatchesTheNumpySimulation() {
        List<Integer> progress = new ArrayList<>();
        PerplexityReport report = new PerplexityEvaluator(model, options("fp32"))
                .evaluate(text, (done, total, tokens) -> {
                    assertThat(total).isEqualTo(20);
                    progress.add(done);
                });
        // NumPy simulation of the same protocol: 20 stories, half of each prefilled, 3,197 scored tokens.
        assertThat(report.documents()).isEqualTo(20);
        assertThat(report.skippedDocuments()).isZero();
        assertThat(report.scoredTokens()).isEqualTo(3197);
        assertThat(report.ppl()).isCloseTo(3.7503, within(0.0005));
        // Equal up to float rounding only: while the JIT warms up, the Vector API's interpreted and compiled
        // reductions sum in different orders, so the first documents of a cold JVM can differ in the last bits
        // between two sessions (measured: 2e-9 relative in ppl, mean KL 3e-14). A warm JVM gives identical numbers.
        assertThat(report.pplFullPrecision()).isCloseTo(report.ppl(), within(1e-6));
        assertThat(report.deltaPplPercent()).isCloseTo(0.0, within(1e-5));
        assertThat(report.meanKl()).isCloseTo(0.0, within(1e-9));
        assertThat(report.top1Agreement()).isEqualTo(1.0);
        assertThat(report.compressionRatio()).isCloseTo(0.5, within(1e-12));
        assertThat(progress).hasSize(20).endsWith(20);
    }

    @Test
    void halfPrecisionCostsAlmostNothing() {
        PerplexityReport report = new PerplexityEvaluator(model, options("fp16")).evaluate(text,
                PerplexityProgress.NONE);
        assertThat(report.scoredTokens()).isEqualTo(3197);
        assertThat(report.pplFullPrecision()).isCloseTo(3.7503, within(0.0005));
        assertThat(report.ppl()).isNotEqualTo(report.pplFullPrecision());
        assertThat(Math.abs(report.deltaPplPercent())).isLessThan(0.5);
        assertThat(report.meanKl()).isPositive().isLessThan(1e-3);
        assertThat(report.top1Agreement()).isGreaterThan(0.99);
        assertThat(report.kvBytes()).isEqualTo(report.kvFp16Bytes()).isPositive();
        assertThat(report.compressionRatio()).isEqualTo(1.0);
        assertThat(report.paperRatio()).isEqualTo(1.0);
    }

    @Test
    void prefillZeroScoresEveryTokenFromBosLikeTheReference() {
        PerplexityReport report = new PerplexityEvaluator(model, options("fp32").withPrefillFraction(0))
                .evaluate(text, PerplexityProgress.NONE);
        // reference.json: 20 stories, each cut to 513 tokens, scored from the first token after BOS.
        assertThat(report.scoredTokens()).isEqualTo(6405);
        assertThat(report.ppl()).isCloseTo(3.571274, within(0.0005));
    }

    @Test
    void promptIsMaxOfOneAndTheFloorOfTheShare() {
        PerplexityEvaluator evaluator = new PerplexityEvaluator(model, options("fp32"));
        assertThat(evaluator.promptLength(7)).isEqualTo(3);
        assertThat(evaluator.scoredPositions(7)).isEqualTo(3);   // positions 3, 4, 5 predict tokens 4, 5, 6
        assertThat(evaluator.scoredPositions(2)).isZero();
        assertThat(evaluator.scoredPositions(1)).isZero();
        PerplexityEvaluator fromBos = new PerplexityEvaluator(model, options("fp32").withPrefillFraction(0));
        assertThat(fromBos.promptLength(7)).isEqualTo(1);
        assertThat(fromBos.scoredPositions(7)).isEqualTo(6);
        assertThat(fromBos.scoredPositions(2)).isEqualTo(1);
    }

    @Test
    void aDocumentWithNothingToScoreIsSkipped() {
        PerplexityReport report = new PerplexityEvaluator(model, options("fp32"))
                .evaluateDocuments(List.of("a", "Tom had a red ball. He liked to play."), PerplexityProgress.NONE);
        assertThat(report.documents()).isEqualTo(1);
        assertThat(report.skippedDocuments()).isEqualTo(1);
        assertThat(report.scoredTokens()).isPositive();
    }

    @Test
    void textWithoutDocumentsOrWithoutScorableTokensIsAnError() {
        PerplexityEvaluator evaluator = new PerplexityEvaluator(model, options("fp32"));
        assertThatThrownBy(() -> evaluator.evaluate("\n" + DocumentSplitter.END_OF_TEXT + "\n",
                PerplexityProgress.NONE)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no documents");
        assertThatThrownBy(() -> evaluator.evaluate("a", PerplexityProgress.NONE))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no document has a token");
    }

    @Test
    void optionsRejectAPrefillShareOutsideZeroToOne() {
        PerplexityOptions defaults = PerplexityOptions.defaults();
        assertThatThrownBy(() -> defaults.withPrefillFraction(1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withPrefillFraction(-0.1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withPrefillFraction(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withMaxDocuments(0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aLockstepSweepGivesEachCacheTheReportOfItsOwnRun() {
        List<String> documents = DocumentSplitter.split(text, DocumentSplitter.END_OF_TEXT).subList(0, 6);
        List<String> specs = List.of("kivi:bits=2", "zipcache", "uniform:bits=4");
        PerplexityEvaluator evaluator = new PerplexityEvaluator(model, options("fp16"));
        List<PerplexityReport> swept = evaluator.compareCaches(specs, documents, PerplexityProgress.NONE);
        assertThat(swept).extracting(PerplexityReport::kvCacheSpec).containsExactlyElementsOf(specs);
        for (int index = 0; index < specs.size(); index++) {
            PerplexityReport alone = new PerplexityEvaluator(model, options(specs.get(index)))
                    .evaluateDocuments(documents, PerplexityProgress.NONE);
            PerplexityReport inSweep = swept.get(index);
            assertThat(inSweep.scoredTokens()).isEqualTo(alone.scoredTokens());
            assertThat(inSweep.kvBytes()).isEqualTo(alone.kvBytes());
            assertThat(inSweep.kvFp16Bytes()).isEqualTo(alone.kvFp16Bytes());
            // Same arithmetic on the same inputs; only a JIT-tier change between runs may move the last bits.
            assertThat(inSweep.ppl()).isCloseTo(alone.ppl(), within(1e-6 * alone.ppl()));
            assertThat(inSweep.pplFullPrecision()).isCloseTo(alone.pplFullPrecision(), within(1e-6 * alone.ppl()));
            assertThat(inSweep.meanKl()).isCloseTo(alone.meanKl(), within(1e-6 + 1e-6 * alone.meanKl()));
        }
        // The three caches differ, so the sweep did not score one cache three times.
        assertThat(swept.get(0).ppl()).isNotEqualTo(swept.get(1).ppl());
        assertThat(swept.get(1).ppl()).isNotEqualTo(swept.get(2).ppl());
    }
}
