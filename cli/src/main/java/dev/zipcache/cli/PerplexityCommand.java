package dev.zipcache.cli;

import dev.zipcache.engine.evaluate.PerplexityEvaluator;
import dev.zipcache.engine.evaluate.PerplexityOptions;
import dev.zipcache.engine.evaluate.PerplexityReport;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.util.Map;

/**
 * {@code zipcache perplexity}: the fidelity protocol of a KV cache, teacher-forced perplexity with the cache against a
 * full-precision reference on the same positions (see {@link PerplexityEvaluator}).
 */
@Command(name = "perplexity", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Perplexity of a text with a KV cache, against a full-precision (fp32) reference.",
                "Each document is [BOS] + its tokens, cut to the context + 1; its first max(1, floor(F x length)) "
                        + "tokens are prefilled and not scored, the rest are fed one at a time and scored."})
final class PerplexityCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    ScoringOptions scoring;

    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = "--kv-cache", defaultValue = SessionOptions.DEFAULT_KV_CACHE, paramLabel = "SPEC",
            description = "KV cache under test, NAME[:key=value,...]; see 'zipcache caches' (default: ${DEFAULT-VALUE})")
    String kvCache;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Override
    public void run() {
        PerplexityOptions options = scoring.toOptions(kvCache).withDevice(deviceOptions.validated());
        GenerateCommand.validateCacheSpec(kvCache);
        String text = scoring.readText();
        PrintWriter out = spec.commandLine().getOut();
        try (Model model = modelOptions.load()) {
            PerplexityEvaluator evaluator = new PerplexityEvaluator(model, options);
            PerplexityReport report;
            try (TerminalProgress bar = TerminalProgress.onStderr()) {
                report = evaluator.evaluate(text, (done, total, tokens) -> bar.show(done, total,
                        done + "/" + total + " documents, " + tokens + " tokens scored"));
            }
            out.println(json ? Json.write(toJson(report)) : table(report));
            out.flush();
        }
    }

    private static String table(PerplexityReport report) {
        StringBuilder table = new StringBuilder();
        table.append(String.format("documents           %d (%d tokens scored, prefill %.2f", report.documents(),
                report.scoredTokens(), report.prefillFraction()));
        if (report.skippedDocuments() > 0) {
            table.append(String.format(", %d skipped with nothing to score", report.skippedDocuments()));
        }
        table.append(")").append(System.lineSeparator());
        table.append(String.format("ppl %-15s %.4f%n", report.kvCacheSpec(), report.ppl()));
        table.append(String.format("ppl %-15s %.4f%n", PerplexityOptions.REFERENCE_KV_CACHE, report.pplFullPrecision()));
        table.append(String.format("delta ppl           %+.4f %%%n", report.deltaPplPercent()));
        table.append(String.format("mean KL             %.3e nats%n", report.meanKl()));
        table.append(String.format("top-1 agreement     %.2f %%%n", 100 * report.top1Agreement()));
        table.append(String.format("KV cache            %d bytes, %.2fx vs fp16 (paper ratio %.2fx)%n", report.kvBytes(),
                report.compressionRatio(), report.paperRatio()));
        table.append(String.format("time                %.1f s", report.elapsedNanos() / 1e9));
        return table.toString();
    }

    private static Map<String, Object> toJson(PerplexityReport report) {
        Map<String, Object> root = Json.object();
        root.put("documents", report.documents());
        root.put("scored_tokens", report.scoredTokens());
        root.put("prefill_fraction", report.prefillFraction());
        root.put("kv_cache", report.kvCacheSpec());
        root.put("ppl", report.ppl());
        root.put("ppl_full_precision", report.pplFullPrecision());
        root.put("delta_ppl_percent", report.deltaPplPercent());
        root.put("mean_kl", report.meanKl());
        root.put("top1_agreement", report.top1Agreement());
        Map<String, Object> kv = Json.object();
        kv.put("bytes", report.kvBytes());
        kv.put("fp16_bytes", report.kvFp16Bytes());
        kv.put("compression_ratio", report.compressionRatio());
        kv.put("paper_ratio", report.paperRatio());
        root.put("kv", kv);
        return root;
    }
}
