package dev.zipcache.engine.bench;

import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The benchmark on stories260K: what each row holds (never how fast it is: no timing assertions). */
class BenchmarkRunnerTest {

    /** stories260K: 5 layers × (K + V) × 32 KV channels × 2 bytes per token held as fp16. */
    private static final long FP16_BYTES_PER_TOKEN = 5 * 2 * 32 * 2;

    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(SharedFiles.file("models/stories260K/stories260K.bin"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void measuresEveryCacheAtEveryPromptLength() {
        BenchmarkOptions options = new BenchmarkOptions(List.of("fp16", "zipcache"), List.of(16, 64), 8, 2, 2);
        List<String> progress = new ArrayList<>();
        List<BenchmarkResult> rows = new BenchmarkRunner(model, options)
                .run((done, total, spec, length) -> progress.add(done + "/" + total + " " + spec + " " + length));

        assertThat(rows).extracting(BenchmarkResult::kvCacheSpec).containsExactly("fp16", "fp16", "zipcache", "zipcache");
        assertThat(rows).extracting(BenchmarkResult::promptTokens).containsExactly(16, 64, 16, 64);
        // A warm-up and two timed runs per row; at each length the warm-ups first, then the caches' timed runs in turn.
        assertThat(progress).containsExactly("1/12 fp16 16", "2/12 zipcache 16", "3/12 fp16 16", "4/12 zipcache 16",
                "5/12 fp16 16", "6/12 zipcache 16", "7/12 fp16 64", "8/12 zipcache 64", "9/12 fp16 64",
                "10/12 zipcache 64", "11/12 fp16 64", "12/12 zipcache 64");
        for (BenchmarkResult row : rows) {
            assertThat(row.generatedTokens()).isEqualTo(8);
            assertThat(row.threads()).isEqualTo(2);
            assertThat(row.repetitions()).isEqualTo(2);
            for (Summary speed : List.of(row.prefillTokensPerSecond(), row.decodeTokensPerSecond(), row.ttftMillis())) {
                assertThat(speed.min()).isPositive().isLessThanOrEqualTo(speed.median());
                assertThat(speed.median()).isLessThanOrEqualTo(speed.max());
            }
            // The cache holds the whole prompt and every fed-back token: nothing stopped early at an EOS.
            assertThat(row.kvTokens()).isEqualTo(row.promptTokens() + 8);
            assertThat(row.fp16KvBytes()).isEqualTo(FP16_BYTES_PER_TOKEN * row.kvTokens());
            if (Files.exists(Path.of("/proc/self/status"))) {
                assertThat(row.peakResidentBytes()).isPositive();
            }
        }
        for (BenchmarkResult fp16 : rows.subList(0, 2)) {
            assertThat(fp16.kvBytes()).isEqualTo(fp16.fp16KvBytes());
            assertThat(fp16.compressionRatio()).isEqualTo(1.0);
        }
        for (BenchmarkResult zipcache : rows.subList(2, 4)) {
            assertThat(zipcache.kvBytes()).isPositive().isLessThan(zipcache.fp16KvBytes());
            assertThat(zipcache.compressionRatio()).isGreaterThan(1.0);
        }
    }

    @Test
    void promptIsBosThenRepeatedTextCutToLength() {
        int[] text = model.tokenizer().encode(BenchmarkRunner.PROMPT_TEXT, false);
        int length = 2 * text.length + 7;
        int[] prompt = BenchmarkRunner.promptTokens(model, length);
        assertThat(prompt).hasSize(length);
        assertThat(prompt[0]).isEqualTo(model.tokenizer().specialTokens().bos());
        assertThat(prompt[1]).isEqualTo(text[0]);
        assertThat(prompt[1 + text.length]).isEqualTo(text[0]);
        assertThat(prompt[length - 1]).isEqualTo(text[5]);
        assertThat(BenchmarkRunner.promptTokens(model, 5)).containsExactly(prompt[0], prompt[1], prompt[2], prompt[3],
                prompt[4]);
    }

    @Test
    void aPromptAndGenerationBeyondTheContextIsRejected() {
        BenchmarkOptions options = new BenchmarkOptions(List.of("fp16"), List.of(16, 500), 13, 1, 1);
        assertThatThrownBy(() -> new BenchmarkRunner(model, options)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("500 + 13").hasMessageContaining("context of 512");
        // Exactly the context fits.
        new BenchmarkRunner(model, new BenchmarkOptions(List.of("fp16"), List.of(500), 12, 1, 1));
    }

    @Test
    void optionsRejectRepeatsAndNonPositiveCounts() {
        assertThatThrownBy(() -> new BenchmarkOptions(List.of("fp16", " fp16"), List.of(16), 8, 1, 1))
                .hasMessageContaining("given twice");
        assertThatThrownBy(() -> new BenchmarkOptions(List.of("fp16"), List.of(16, 16), 8, 1, 1))
                .hasMessageContaining("given twice");
        assertThatThrownBy(() -> new BenchmarkOptions(List.of("fp16"), List.of(0), 8, 1, 1))
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new BenchmarkOptions(List.of("fp16"), List.of(16), 0, 1, 1))
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new BenchmarkOptions(List.of("fp16"), List.of(16), 8, 1, 0))
                .hasMessageContaining("at least 1");
        assertThatThrownBy(() -> new BenchmarkOptions(List.of(), List.of(16), 8, 1, 1))
                .hasMessageContaining("at least one KV cache");
    }

    @Test
    void summaryIsTheMedianAndTheRange() {
        assertThat(Summary.of(3, 1, 2)).isEqualTo(new Summary(2, 1, 3));
        assertThat(Summary.of(4, 1, 2, 10)).isEqualTo(new Summary(3, 1, 10));
        assertThat(Summary.of(5)).isEqualTo(new Summary(5, 5, 5));
    }

    @Test
    void peakResidentMemoryIsReadInKibibytes() {
        assertThat(PeakResidentMemory.parseKibibytes("\t  123456 kB")).isEqualTo(123456L * 1024);
    }
}
