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
        BenchmarkOptions options = new BenchmarkOptions(List.of("fp16", "zipcache"), List.of(16, 64), 8, 2, 2)
                .withWarmup(Warmup.runs(1));
        List<String> progress = new ArrayList<>();
        List<BenchmarkResult> rows = new BenchmarkRunner(model, options).run(recording(progress));

        assertThat(rows).extracting(BenchmarkResult::kvCacheSpec).containsExactly("fp16", "fp16", "zipcache", "zipcache");
        assertThat(rows).extracting(BenchmarkResult::promptTokens).containsExactly(16, 64, 16, 64);
        // A warm-up and two timed runs per row; at each length the warm-ups first, then the caches' timed runs in turn.
        assertThat(progress).containsExactly("warm-up 1 fp16 16 (0/8)", "warm-up 1 zipcache 16 (0/8)",
                "1/8 fp16 16", "2/8 zipcache 16", "3/8 fp16 16", "4/8 zipcache 16",
                "warm-up 1 fp16 64 (4/8)", "warm-up 1 zipcache 64 (4/8)",
                "5/8 fp16 64", "6/8 zipcache 64", "7/8 fp16 64", "8/8 zipcache 64");
        assertThat(rows).extracting(BenchmarkResult::warmupRuns).containsOnly(1);
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

    /** Progress as lines: timed runs as done/total, warm-ups with the timed runs done before them. */
    private static BenchmarkProgress recording(List<String> lines) {
        return new BenchmarkProgress() {
            @Override
            public void onRun(int runsDone, int runsTotal, String spec, int promptTokens) {
                lines.add(runsDone + "/" + runsTotal + " " + spec + " " + promptTokens);
            }

            @Override
            public void onWarmup(int warmupRun, int timedRunsDone, int runsTotal, String spec, int promptTokens) {
                lines.add("warm-up " + warmupRun + " " + spec + " " + promptTokens + " (" + timedRunsDone + "/"
                        + runsTotal + ")");
            }
        };
    }

    /**
     * A JIT that compiles for a long time during each of the first {@code busyRuns} runs and not at all after. The
     * runner reads the clock once before and once after each run, so read {@code 2k - 1} and {@code 2k} bracket run
     * {@code k}.
     */
    private static JitClock busyFor(int busyRuns) {
        long[] reads = {0};
        return () -> {
            long read = ++reads[0];
            return 1_000_000L * Math.min(read, 2L * busyRuns);
        };
    }

    private static int warmupRuns(Warmup warmup, JitClock jit) {
        BenchmarkOptions options = new BenchmarkOptions(List.of("fp16"), List.of(8), 2, 1, 1).withWarmup(warmup);
        List<BenchmarkResult> rows = new BenchmarkRunner(model, options, jit).run(BenchmarkProgress.NONE);
        return rows.getFirst().warmupRuns();
    }

    @Test
    void theAutomaticWarmupLastsUntilARunWithoutCompilation() {
        assertThat(warmupRuns(Warmup.UNTIL_JIT_QUIET, busyFor(0))).isEqualTo(1);
        assertThat(warmupRuns(Warmup.UNTIL_JIT_QUIET, busyFor(3))).isEqualTo(4);
        // A JIT that never settles: the cap on runs ends the warm-up (these runs take milliseconds, not 60 s).
        assertThat(warmupRuns(Warmup.UNTIL_JIT_QUIET, busyFor(1_000))).isEqualTo(Warmup.MAX_QUIET_RUNS);
        // A JVM that does not report compilation: one run.
        assertThat(warmupRuns(Warmup.UNTIL_JIT_QUIET, () -> JitClock.UNKNOWN)).isEqualTo(1);
    }

    @Test
    void aFixedWarmupTakesThatManyRunsWhateverTheJit() {
        assertThat(warmupRuns(Warmup.runs(0), busyFor(1_000))).isZero();
        assertThat(warmupRuns(Warmup.runs(2), busyFor(1_000))).isEqualTo(2);
        assertThat(warmupRuns(Warmup.runs(3), busyFor(0))).isEqualTo(3);
    }

    @Test
    void theTimedRunsCompilationTimeIsReported() {
        BenchmarkOptions options = new BenchmarkOptions(List.of("fp16"), List.of(8), 2, 1, 3)
                .withWarmup(Warmup.runs(1));
        // Busy during the warm-up and the first two timed runs: 1,000,000 ms each, the third timed run quiet.
        BenchmarkResult row = new BenchmarkRunner(model, options, busyFor(3)).run(BenchmarkProgress.NONE).getFirst();
        assertThat(row.timedCompileMillis()).isEqualTo(2_000_000L);
        BenchmarkResult unknown = new BenchmarkRunner(model, options, () -> JitClock.UNKNOWN)
                .run(BenchmarkProgress.NONE).getFirst();
        assertThat(unknown.timedCompileMillis()).isEqualTo(JitClock.UNKNOWN);
    }

    @Test
    void aRunIsQuietBelowFivePercentOfItsWallTimeCompiling() {
        Warmup auto = Warmup.UNTIL_JIT_QUIET;
        long second = 1_000_000_000L;
        assertThat(auto.wantsAnotherRun(0, 0, 0, 0)).isTrue();
        assertThat(auto.wantsAnotherRun(1, second, 50, second)).isTrue();    // exactly 5%: still busy
        assertThat(auto.wantsAnotherRun(1, second, 49, second)).isFalse();
        // The budget: a warm-up that has taken 60 s stops, busy or not.
        assertThat(auto.wantsAnotherRun(2, second, 900, 59 * second)).isTrue();
        assertThat(auto.wantsAnotherRun(2, second, 900, 60 * second)).isFalse();
    }

    @Test
    void warmupIsAutoOrACount() {
        assertThat(Warmup.parse("auto")).isEqualTo(Warmup.UNTIL_JIT_QUIET);
        assertThat(Warmup.parse(" 3 ")).isEqualTo(Warmup.runs(3));
        assertThat(Warmup.parse("0").fixedRuns()).isZero();
        assertThatThrownBy(() -> Warmup.parse("-1")).hasMessageContaining("0 or more");
        assertThatThrownBy(() -> Warmup.parse("soon")).hasMessageContaining("'auto' or a number of runs");
        assertThat(Warmup.UNTIL_JIT_QUIET).hasToString("auto");
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
