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
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** {@code zipcache perplexity} as a script would use it. */
class PerplexityCommandTest {

    private static final String MODEL = "models/stories260K/stories260K.bin";
    private static final String TEXT = "data/tinystories_train_sample_129.txt";

    @TempDir
    Path folder;

    @Test
    void jsonCarriesTheProtocolsNumbersAndTheCacheSizes() throws IOException {
        CliRun run = CliRun.of("perplexity", "-m", SharedFiles.file(MODEL).toString(),
                "-f", SharedFiles.file(TEXT).toString(), "--kv-cache", "fp16", "--documents", "3", "--threads", "2",
                "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        List<String> keys = new ArrayList<>();
        json.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("documents", "scored_tokens", "prefill_fraction", "kv_cache", "ppl",
                "ppl_full_precision", "delta_ppl_percent", "mean_kl", "top1_agreement", "kv");
        List<String> kvKeys = new ArrayList<>();
        json.get("kv").fieldNames().forEachRemaining(kvKeys::add);
        assertThat(kvKeys).containsExactly("bytes", "fp16_bytes", "compression_ratio", "paper_ratio");

        assertThat(json.get("documents").asInt()).isEqualTo(3);
        assertThat(json.get("scored_tokens").asLong()).isPositive();
        assertThat(json.get("prefill_fraction").asDouble()).isEqualTo(0.5);
        assertThat(json.get("kv_cache").asText()).isEqualTo("fp16");
        double ppl = json.get("ppl").asDouble();
        double fullPrecision = json.get("ppl_full_precision").asDouble();
        assertThat(ppl).isBetween(1.0, 10.0);
        assertThat(json.get("delta_ppl_percent").asDouble()).isCloseTo(100 * (ppl / fullPrecision - 1), within(1e-9))
                .isBetween(-0.5, 0.5);
        assertThat(json.get("mean_kl").asDouble()).isPositive().isLessThan(1e-3);
        assertThat(json.get("top1_agreement").asDouble()).isBetween(0.99, 1.0);
        // fp16 holds exactly its fp16 size: 5 layers × (K + V) × 32 channels × 2 bytes per token held.
        long bytes = json.at("/kv/bytes").asLong();
        assertThat(bytes).isEqualTo(json.at("/kv/fp16_bytes").asLong()).isPositive();
        assertThat(bytes % (5 * 2 * 32 * 2)).isZero();
        assertThat(json.at("/kv/compression_ratio").asDouble()).isEqualTo(1.0);
        assertThat(json.at("/kv/paper_ratio").asDouble()).isEqualTo(1.0);
        assertThat(run.err()).doesNotContain("documents,");   // no progress bar when stderr is not a terminal
    }

    @Test
    void withoutJsonPrintsATable() {
        CliRun run = CliRun.of("perplexity", "-m", SharedFiles.file(MODEL).toString(),
                "-f", SharedFiles.file(TEXT).toString(), "--kv-cache", "fp32", "--documents", "1", "--threads", "2");
        assertThat(run.exitCode()).as(run.err()).isZero();
        assertThat(run.out()).contains("ppl fp32").contains("delta ppl").contains("mean KL")
                .contains("top-1 agreement").contains("KV cache");
    }

    @Test
    void anEmptyTextFileIsARuntimeErrorOnOneLine() throws IOException {
        Path empty = Files.writeString(folder.resolve("empty.txt"), "");
        CliRun run = CliRun.of("perplexity", "-m", SharedFiles.file(MODEL).toString(), "-f", empty.toString());
        assertThat(run.exitCode()).isEqualTo(ZipcacheCommand.RUNTIME_ERROR);
        assertThat(run.errorLines()).isEqualTo(1);
        assertThat(run.err()).contains("is empty");
    }

    @Test
    void aTextOfSeparatorsOnlyHasNoDocuments() throws IOException {
        Path separators = Files.writeString(folder.resolve("separators.txt"), "<|endoftext|>\n\n<|endoftext|>\n");
        CliRun run = CliRun.of("perplexity", "-m", SharedFiles.file(MODEL).toString(), "-f", separators.toString());
        assertThat(run.exitCode()).isEqualTo(ZipcacheCommand.RUNTIME_ERROR);
        assertThat(run.errorLines()).isEqualTo(1);
        assertThat(run.err()).contains("no documents");
    }

    @Test
    void aMissingTextFileIsARuntimeError() {
        CliRun run = CliRun.of("perplexity", "-m", SharedFiles.file(MODEL).toString(),
                "-f", folder.resolve("absent.txt").toString());
        assertThat(run.exitCode()).isEqualTo(ZipcacheCommand.RUNTIME_ERROR);
        assertThat(run.errorLines()).isEqualTo(1);
        assertThat(run.err()).contains("does not exist");
    }

    @Test
    void badOptionValuesAreUsageErrors() {
        String model = SharedFiles.file(MODEL).toString();
        String text = SharedFiles.file(TEXT).toString();
        for (String[] bad : List.of(new String[] {"--prefill", "1.5"}, new String[] {"--prefill", "1"},
                new String[] {"--prefill", "-0.1"}, new String[] {"--documents", "0"},
                new String[] {"--kv-cache", "nonesuch"})) {
            List<String> args = new ArrayList<>(List.of("perplexity", "-m", model, "-f", text));
            args.addAll(List.of(bad));
            CliRun run = CliRun.of(args.toArray(String[]::new));
            assertThat(run.exitCode()).as(String.join(" ", bad)).isEqualTo(ZipcacheCommand.USAGE_ERROR);
            assertThat(run.errorLines()).as(run.err()).isEqualTo(1);
        }
    }
}
