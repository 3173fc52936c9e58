package dev.zipcache.cli;

import dev.zipcache.engine.generate.GenerationRequest;
import dev.zipcache.engine.generate.GenerationResult;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.generate.TokenListener;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.sampling.SamplingParameters;
import dev.zipcache.spi.KvCacheStats;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code zipcache generate}: complete a prompt, streaming the text to stdout. */
@Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Generate a continuation of a prompt (streams text to stdout; timings to stderr).")
final class GenerateCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = {"-p", "--prompt"}, paramLabel = "TEXT", description = "the prompt (default: empty)")
    String prompt;

    @Option(names = {"-f", "--prompt-file"}, paramLabel = "FILE", description = "read the prompt from a file")
    Path promptFile;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "256", paramLabel = "N",
            description = "the most new tokens (default: ${DEFAULT-VALUE})")
    int maxTokens;

    @Mixin
    SamplingOptions samplingOptions;

    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = "--stop", paramLabel = "TEXT", description = "stop before this text (repeatable)")
    List<String> stopStrings = new ArrayList<>();

    @Option(names = "--stop-token", paramLabel = "ID",
            description = "also stop at this token id (repeatable; e.g. 1 = BOS for llama2.c-converted GGUF)")
    List<Integer> stopTokens = new ArrayList<>();

    @Option(names = "--kv-cache", defaultValue = SessionOptions.DEFAULT_KV_CACHE, paramLabel = "SPEC",
            description = "KV cache NAME[:key=value,...]; see 'zipcache caches' (default: ${DEFAULT-VALUE})")
    String kvCache;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "compute threads (default: all cores)")
    Integer threads;

    @Option(names = "--json", description = "print one JSON object instead of streaming text")
    boolean json;

    @Override
    public void run() {
        String promptText = readPrompt();
        SamplingParameters sampling = samplingOptions.parameters();
        validateCacheSpec(kvCache);
        String device = deviceOptions.validated();
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (threadCount < 1) {
            throw new UsageException("--threads must be at least 1");
        }
        if (maxTokens < 0) {
            throw new UsageException("--max-tokens must be ≥ 0");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Model model = modelOptions.load();
             Session session = Session.open(model, SessionOptions.defaults().withKvCache(kvCache)
                     .withThreads(threadCount).withDevice(device))) {
            GenerationRequest request = GenerationRequest.of(promptText, maxTokens).withSampling(sampling)
                    .withStopStrings(stopStrings).withStopTokens(Set.copyOf(stopTokens));
            TokenListener listener = TokenListener.NONE;
            if (!json) {
                out.print(model.tokenizer().decode(session.tokenize(promptText, true)));
                out.flush();
                listener = (token, text) -> {
                    out.print(text);
                    out.flush();
                };
            }
            GenerationResult result = session.generate(request, listener);
            if (json) {
                out.println(Json.write(toJson(result, sampling.seed())));
            } else {
                out.println();
                printSummary(result);
            }
            out.flush();
        }
    }

    private String readPrompt() {
        if (prompt != null && promptFile != null) {
            throw new UsageException("give --prompt or --prompt-file, not both");
        }
        if (promptFile == null) {
            return prompt == null ? "" : prompt;
        }
        try {
            return Files.readString(promptFile);
        } catch (IOException failure) {
            throw new IllegalArgumentException("cannot read prompt file " + promptFile + ": " + failure.getMessage());
        }
    }

    /** An unknown cache name or option is a usage error, found before the model is loaded. */
    static void validateCacheSpec(String kvCache) {
        try {
            Providers.kvCaches().resolve(Spec.parse(kvCache));
        } catch (IllegalArgumentException bad) {
            throw new UsageException("--kv-cache: " + bad.getMessage());
        }
    }

    private void printSummary(GenerationResult result) {
        PrintWriter err = spec.commandLine().getErr();
        KvCacheStats stats = result.cacheStats();
        err.printf("prefill: %d tokens in %.1f ms (%.1f tok/s) | decode: %d tokens in %.1f ms (%.1f tok/s) | "
                        + "KV cache %s: %d tokens, %d bytes (%.2fx vs fp16) | %s%n",
                result.timings().prefilledTokens(), result.timings().prefillMillis(),
                result.timings().prefillTokensPerSecond(), result.timings().decodedTokens(),
                result.timings().decodeMillis(), result.timings().decodeTokensPerSecond(), result.cacheSpec(),
                stats.tokens(), stats.bytes(), stats.compressionRatio(),
                result.finishReason().name().toLowerCase());
        err.flush();
    }

    private static Map<String, Object> toJson(GenerationResult result, long seed) {
        Map<String, Object> root = Json.object();
        root.put("text", result.text());
        root.put("prompt_token_ids", result.promptTokenIds());
        root.put("generated_token_ids", result.generatedTokenIds());
        root.put("finish_reason", result.finishReason().name().toLowerCase());
        Map<String, Object> usage = Json.object();
        usage.put("prompt_tokens", result.usage().promptTokens());
        usage.put("completion_tokens", result.usage().completionTokens());
        root.put("usage", usage);
        Map<String, Object> timings = Json.object();
        timings.put("prefill_ms", result.timings().prefillMillis());
        timings.put("decode_ms", result.timings().decodeMillis());
        timings.put("prefill_tokens_per_second", result.timings().prefillTokensPerSecond());
        timings.put("decode_tokens_per_second", result.timings().decodeTokensPerSecond());
        root.put("timings", timings);
        KvCacheStats stats = result.cacheStats();
        Map<String, Object> cache = Json.object();
        cache.put("spec", result.cacheSpec());
        cache.put("tokens", stats.tokens());
        cache.put("bytes", stats.bytes());
        cache.put("fp16_bytes", stats.fp16Bytes());
        cache.put("compression_ratio", stats.compressionRatio());
        root.put("kv_cache", cache);
        root.put("seed", seed);
        return root;
    }
}
