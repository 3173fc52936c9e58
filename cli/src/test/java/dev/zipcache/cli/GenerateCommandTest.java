package dev.zipcache.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zipcache.engine.testing.ReferenceCases;
import dev.zipcache.engine.testing.ReferenceCases.GreedyCase;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.stream.StreamSupport;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code zipcache generate} as a script would use it. */
class GenerateCommandTest {

    private static final String MODEL = "models/stories260K/stories260K.bin";

    @Test
    void jsonOutputCarriesTheReferenceTokensUsageTimingsAndCacheStats() throws IOException {
        GreedyCase reference = ReferenceCases.greedy("stories260K").getFirst();
        CliRun run = CliRun.of("generate", "-m", SharedFiles.file(MODEL).toString(), "-p", reference.prompt(),
                "-n", String.valueOf(reference.maxNewTokens()), "--temperature", "0", "--threads", "2", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(ids(json.get("prompt_token_ids"))).containsExactly(reference.promptTokenIds());
        assertThat(ids(json.get("generated_token_ids"))).containsExactly(reference.generatedTokenIds());
        assertThat(reference.text()).endsWith(json.get("text").asText());
        assertThat(json.get("finish_reason").asText()).isEqualTo("length");
        assertThat(json.at("/usage/prompt_tokens").asInt()).isEqualTo(reference.promptTokenIds().length);
        assertThat(json.at("/usage/completion_tokens").asInt()).isEqualTo(reference.generatedTokenIds().length);
        assertThat(json.at("/timings/decode_tokens_per_second").asDouble()).isPositive();
        assertThat(json.at("/kv_cache/spec").asText()).isEqualTo("fp16");
        // Prompt and generated tokens, less the last sampled one, which is never run: 9 + 112 − 1 = 120 positions,
        // each 5 layers × (K + V) × 32 channels × 2 bytes.
        assertThat(json.at("/kv_cache/tokens").asInt()).isEqualTo(120);
        assertThat(json.at("/kv_cache/bytes").asLong()).isEqualTo(120L * 5 * 2 * 32 * 2);
        assertThat(json.at("/kv_cache/compression_ratio").asDouble()).isEqualTo(1.0);
    }

    /** {@code --no-mmap} reads the weights into memory: the same reference tokens. */
    @Test
    void noMmapGivesTheReferenceTokens() throws IOException {
        GreedyCase reference = ReferenceCases.greedy("stories260K").getFirst();
        CliRun run = CliRun.of("generate", "-m", SharedFiles.file(MODEL).toString(), "--no-mmap", "-p",
                reference.prompt(), "-n", String.valueOf(reference.maxNewTokens()), "--temperature", "0", "--json");
        assertThat(run.exitCode()).as(run.err()).isZero();
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(ids(json.get("generated_token_ids"))).containsExactly(reference.generatedTokenIds());
    }

    @Test
    void sameSeedSameTokens() {
        String[] args = {"generate", "-m", SharedFiles.file(MODEL).toString(), "-p", "Lily", "-n", "30",
                "--seed", "7", "--temperature", "1.0", "--json"};
        CliRun first = CliRun.of(args);
        CliRun second = CliRun.of(args);
        assertThat(first.exitCode()).isZero();
        assertThat(first.out().replaceAll("\"timings\"[^}]*}", ""))
                .isEqualTo(second.out().replaceAll("\"timings\"[^}]*}", ""));
    }

    @Test
    void streamsThePromptAndTheTextToStdoutAndTimingsToStderr() {
        CliRun run = CliRun.of("generate", "-m", SharedFiles.file(MODEL).toString(), "-p", "Tom had a red ball",
                "-n", "12", "--temperature", "0");
        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).startsWith("Tom had a red ball. He liked to play with his toys");
        assertThat(run.err()).contains("prefill:").contains("decode:").contains("KV cache fp16");
    }

    @Test
    void stopStringEndsTheTextBeforeIt() throws IOException {
        CliRun run = CliRun.of("generate", "-m", SharedFiles.file(MODEL).toString(), "-p", "Tom had a red ball",
                "-n", "50", "--temperature", "0", "--stop", "toys", "--json");
        JsonNode json = new ObjectMapper().readTree(run.out());
        assertThat(json.get("text").asText()).isEqualTo(". He liked to play with his ");
        assertThat(json.get("finish_reason").asText()).isEqualTo("stop");
    }

    private static int[] ids(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).mapToInt(JsonNode::asInt).toArray();
    }
}
