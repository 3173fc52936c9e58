package dev.zipcache.engine.evaluate;

import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Fidelity of the compressed caches on real data, against an independent NumPy simulation of the same protocol
 * (stories260K, the TinyStories sample, 20 documents, half prefilled, 3,197 scored tokens, full-precision ppl
 * 3.7503), which gave Δppl: kivi:bits=4 +0.40%, zipcache +4.5%, mikv +9.8%, kivi:bits=2 +30%, uniform:bits=2 +1400%.
 * Tolerances: ±1 point for KIVI-4 and the mixed-precision caches, ±10% relative for the others (KIVI-2 as the
 * simulation ran it, see below); and the ranking zipcache < mikv < kivi:bits=2 < uniform:bits=2 must hold.
 */
class CacheFidelityTest {

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

    private static PerplexityReport run(String cache) {
        PerplexityReport report = new PerplexityEvaluator(model,
                PerplexityOptions.defaults().withKvCache(cache).withMaxDocuments(20).withThreads(2))
                .evaluate(text, PerplexityProgress.NONE);
        assertThat(report.scoredTokens()).isEqualTo(3197);
        assertThat(report.pplFullPrecision()).isCloseTo(3.7503, within(0.0005));
        return report;
    }

    @Test
    void compressedCachesLandWhereTheSimulationDidAndRankAsExpected() {
        Map<String, Double> delta = new LinkedHashMap<>();
        for (String cache : new String[] {"kivi:bits=4", "zipcache", "mikv", "kivi:bits=2",
                "kivi:bits=2,timing=before-attention", "uniform:bits=2"}) {
            delta.put(cache, run(cache).deltaPplPercent());
        }
        assertThat(delta.get("kivi:bits=4")).isCloseTo(0.40, within(1.0));
        assertThat(delta.get("zipcache")).isCloseTo(4.5, within(1.0));
        assertThat(delta.get("mikv")).isCloseTo(9.8, within(1.0));
        // KIVI's code (llama_kivi.py) quantizes a decode step's full key window and its oldest fp16 value after the
        // step's attention, so the new token sees itself in fp16: +26.5% here. The simulation applied the same
        // rules as tokens were appended, before attention; with timing=before-attention we reproduce it (+29.5%).
        assertThat(delta.get("kivi:bits=2,timing=before-attention")).isCloseTo(30.0, within(3.0));
        assertThat(delta.get("kivi:bits=2")).isBetween(20.0, delta.get("kivi:bits=2,timing=before-attention"));
        assertThat(delta.get("uniform:bits=2")).isCloseTo(1400.0, within(140.0));
        assertThat(delta.get("zipcache")).isLessThan(delta.get("mikv"));
        assertThat(delta.get("mikv")).isLessThan(delta.get("kivi:bits=2"));
        assertThat(delta.get("kivi:bits=2")).isLessThan(delta.get("uniform:bits=2"));
    }

    @Test
    void zipcacheReportsItsTrueAndPaperRatios() {
        PerplexityReport report = run("zipcache");
        // stories260K's KV width is only 32 channels, so per-row parameters weigh more than at Llama scale.
        assertThat(report.compressionRatio()).isBetween(2.5, 4.5);
        assertThat(report.paperRatio()).isGreaterThan(report.compressionRatio());
        assertThat(report.top1Agreement()).isGreaterThan(0.8);
    }
}
