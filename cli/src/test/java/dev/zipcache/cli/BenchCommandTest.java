package dev.zipcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code zipcache bench} as a script would use it, on stories260K with tiny settings (no timing assertions). */
class BenchCommandTest {

    private static final String MODEL = "models/stories260K/stories260K.bin";

    /**
     * What one decode step of stories260K reads, all float32 (dim 64, 5 layers, 8 heads and 4 KV heads of 8, hidden
     * 172, vocabulary 512, classifier tied to the embedding): per layer the query and output matrices 64 × 64 each,
     * key and value 32 × 64 each, gate, up and down 172 × 64 each, and two norms of 64, i.e. 45,440 floats; the
     * classifier 512 × 64, one embedding row of 64 and the output norm of 64. (5 · 45,440 + 32,768 + 128) · 4 bytes.
     */
    private static final long STORIES_BYTES_PER_TOKEN = (5L * 45_440 + 32_768 + 128) * 4;
    private static final byte[] PNG_MAGIC = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

    @TempDir
    Path folder;

    private static CliRun bench(String... options) {
        List<String> args = new ArrayList<>(List.of("bench", "-m", SharedFiles.file(MODEL).toString(), "-n", "4",
                "-r", "1", "-t", "2"));
        args.addAll(List.of(options));
        return CliRun.of(args.toArray(String[]::new));
    }

    @Test
    void jsonIsOneArrayWithARowPerCacheAndPromptLength() throws IOException {
        CliRun run = bench("-p", "8,32", "--kv-cache", "fp16;kivi:bits=2,group=32", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.isArray()).isTrue();
        assertThat(json).hasSize(4);
        List<String> keys = new ArrayList<>();
        json.get(0).fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsSubsequence("kv_cache", "prompt_tokens", "generated_tokens", "threads",
                "prefill_tokens_per_second", "decode_tokens_per_second", "ttft_ms", "kv_bytes", "fp16_kv_bytes",
                "compression_ratio", "peak_rss_bytes", "weights_mapped");
        assertThat(keys).contains("repetitions", "decode_tokens_per_second_min", "decode_tokens_per_second_max",
                "prefill_tokens_per_second_min", "ttft_ms_max");
        List<String> caches = new ArrayList<>();
        json.forEach(row -> caches.add(row.get("kv_cache").asText() + "@" + row.get("prompt_tokens").asInt()));
        assertThat(caches).containsExactly("fp16@8", "fp16@32", "kivi:bits=2,group=32@8", "kivi:bits=2,group=32@32");
        for (JsonNode row : json) {
            assertThat(row.get("generated_tokens").asInt()).isEqualTo(4);
            assertThat(row.get("threads").asInt()).isEqualTo(2);
            assertThat(row.get("repetitions").asInt()).isEqualTo(1);
            // The default warm-up lasts until the JIT is quiet: at least one run, at most 30.
            assertThat(row.get("warmup_runs").asInt()).isBetween(1, 30);
            assertThat(row.get("jit_compile_ms").asLong()).isNotNegative();
            assertThat(row.get("decode_tokens_per_second").asDouble()).isPositive();
            assertThat(row.get("kv_tokens").asLong()).isEqualTo(row.get("prompt_tokens").asLong() + 4);
            assertThat(row.get("weights_mapped").asBoolean()).isTrue();
            assertThat(row.get("weight_bytes_per_token").asLong()).isEqualTo(STORIES_BYTES_PER_TOKEN);
            assertThat(row.get("decode_bytes_per_token").asLong())
                    .isEqualTo(STORIES_BYTES_PER_TOKEN + row.get("kv_bytes").asLong());
            assertThat(row.get("decode_read_gb_per_second").asDouble()).isCloseTo(
                    row.get("decode_bytes_per_token").asLong() * row.get("decode_tokens_per_second").asDouble() / 1e9,
                    within(1e-9));
        }
        assertThat(json.get(0).get("compression_ratio").asDouble()).isEqualTo(1.0);
        // No progress bar when stderr is not a terminal.
        assertThat(run.err()).doesNotContain("runs,").doesNotContain("warm-up run");
    }

    @Test
    void warmupTakesTheRunsAskedFor() throws IOException {
        for (int runs : new int[] {0, 2}) {
            CliRun run = bench("-p", "8", "--kv-cache", "fp16", "--warmup", Integer.toString(runs), "--json");
            assertThat(run.exitCode()).as(run.err()).isZero();
            assertThat(new ObjectMapper().readTree(run.out()).get(0).get("warmup_runs").asInt()).isEqualTo(runs);
        }
        CliRun table = bench("-p", "8", "--kv-cache", "fp16", "--warmup", "2");
        assertThat(table.out()).contains("| warm-up |").containsPattern("\\| fp16 +\\| +8 \\| +4 \\| +2 \\| +2 \\|");
    }

    @Test
    void noMmapRowsSayTheWeightsWereReadIntoMemory() throws IOException {
        CliRun run = bench("-p", "8", "--kv-cache", "fp16", "--no-mmap", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode row = new ObjectMapper().readTree(run.out()).get(0);
        assertThat(row.get("weights_mapped").asBoolean()).isFalse();
        assertThat(row.get("decode_tokens_per_second").asDouble()).isPositive();
    }

    @Test
    void csvHasAHeaderAndARowPerCacheAndPromptLength() {
        CliRun run = bench("-p", "8", "--kv-cache", "fp16", "--kv-cache", "kivi:bits=2,group=32", "--csv");
        assertThat(run.exitCode()).as(run.err()).isZero();
        List<String> lines = run.out().lines().toList();
        assertThat(lines).hasSize(3);
        List<String> header = List.of(lines.get(0).split(","));
        assertThat(header).startsWith("kv_cache", "prompt_tokens", "generated_tokens", "threads")
                .contains("decode_tokens_per_second", "kv_bytes", "peak_rss_bytes");
        assertThat(lines.get(1)).startsWith("fp16,8,4,2,");
        // The spec's own commas are inside a quoted field.
        assertThat(lines.get(2)).startsWith("\"kivi:bits=2,group=32\",8,4,2,");
        assertThat(lines.get(2).replace("\"kivi:bits=2,group=32\"", "kivi").split(",", -1)).hasSize(header.size());
    }

    @Test
    void theDefaultOutputIsATable() {
        CliRun run = bench("-p", "8", "--kv-cache", "zipcache");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("| kv_cache").contains("decode tok/s").contains("| zipcache")
                .contains("medians of 1 timed runs");
    }

    @Test
    void pngWritesAChart() throws IOException {
        Path chart = folder.resolve("bench.chart");
        CliRun run = bench("-p", "8,96", "--kv-cache", "fp16,zipcache", "--json", "--png", chart.toString());
        assertThat(run.exitCode()).as(run.err()).isZero();
        byte[] bytes = Files.readAllBytes(chart);
        assertThat(bytes.length).isGreaterThan(PNG_MAGIC.length);
        assertThat(Arrays.copyOf(bytes, PNG_MAGIC.length)).isEqualTo(PNG_MAGIC);
        assertThat(folder.resolve("bench.chart.png")).doesNotExist();
    }

    @Test
    void aPromptBeyondTheContextIsAUsageErrorOnOneLine() {
        CliRun run = bench("-p", "16,600", "--kv-cache", "fp16");
        assertThat(run.exitCode()).isEqualTo(ZipcacheCommand.USAGE_ERROR);
        assertThat(run.errorLines()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).contains("600 + 4").contains("context of 512");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void badValuesAreUsageErrorsOnOneLine() {
        for (String[] bad : List.of(new String[] {"--kv-cache", "nonesuch"}, new String[] {"--kv-cache", "fp16;kivi:nonesuch=1"},
                new String[] {"-p", "8,8"}, new String[] {"-p", "0"}, new String[] {"-r", "0"},
                new String[] {"--json", "--csv"}, new String[] {"--png", "/nonexistent-folder/x.png"},
                new String[] {"--warmup", "-1"}, new String[] {"--warmup", "soon"})) {
            List<String> args = new ArrayList<>(List.of("bench", "-m", SharedFiles.file(MODEL).toString()));
            args.addAll(List.of(bad));
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertThat(run.exitCode()).as(String.join(" ", bad)).isEqualTo(ZipcacheCommand.USAGE_ERROR);
            assertThat(run.errorLines()).as(run.err()).isEqualTo(1);
        }
    }

    @Test
    void cacheListsSplitOnSemicolonsAndOnCommasBeforeANewName() {
        assertThat(BenchCommand.splitCacheSpecs(List.of("fp16,kivi:bits=2,group=32,zipcache")))
                .containsExactly("fp16", "kivi:bits=2,group=32", "zipcache");
        assertThat(BenchCommand.splitCacheSpecs(List.of("kivi:bits=2,group=32;mikv:high-bits=4", "fp16;")))
                .containsExactly("kivi:bits=2,group=32", "mikv:high-bits=4", "fp16");
        assertThat(BenchCommand.splitCacheSpecs(List.of("zipcache:interval=50,kivi:bits=4")))
                .containsExactly("zipcache:interval=50", "kivi:bits=4");
    }
}
