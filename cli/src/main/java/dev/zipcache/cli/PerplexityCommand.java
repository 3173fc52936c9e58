package dev.zipcache.cli;

import dev.zipcache.engine.evaluate.DocumentSplitter;
import dev.zipcache.engine.evaluate.PerplexityEvaluator;
import dev.zipcache.engine.evaluate.PerplexityOptions;
import dev.zipcache.engine.evaluate.PerplexityProgress;
import dev.zipcache.engine.evaluate.PerplexityReport;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
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

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT",
            description = "the text to score (UTF-8), documents separated by separator lines")
    Path textFile;

    @Option(names = "--kv-cache", defaultValue = SessionOptions.DEFAULT_KV_CACHE, paramLabel = "SPEC",
            description = "KV cache under test, NAME[:key=value,...]; see 'zipcache caches' (default: ${DEFAULT-VALUE})")
    String kvCache;

    @Option(names = "--documents", paramLabel = "N", description = "score only the first N documents (default: all)")
    Integer documents;

    @Option(names = "--prefill", defaultValue = "0.5", paramLabel = "F",
            description = "share of each document prefilled as an unscored prompt, in [0, 1); 0 scores every token "
                    + "after BOS (default: ${DEFAULT-VALUE})")
    double prefillFraction;

    @Option(names = "--separator", defaultValue = DocumentSplitter.END_OF_TEXT, paramLabel = "LINE",
            description = "the line that ends a document (default: ${DEFAULT-VALUE})")
    String separator;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "compute threads (default: all cores)")
    Integer threads;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Override
    public void run() {
        PerplexityOptions options = options();
        GenerateCommand.validateCacheSpec(kvCache);
        String text = readText();
        PrintWriter out = spec.commandLine().getOut();
        try (Model model = modelOptions.load()) {
            PerplexityEvaluator evaluator = new PerplexityEvaluator(model, options);
            PerplexityReport report;
            // A progress bar only for a person watching: never in a pipe, a file or a test.
            try (ProgressBar bar = System.console() != null ? new ProgressBar(System.err) : null) {
                report = evaluator.evaluate(text, bar != null ? bar : PerplexityProgress.NONE);
            }
            out.println(json ? Json.write(toJson(report)) : table(report));
            out.flush();
        }
    }

    /** Bad option values are usage errors, found before anything is read or loaded. */
    private PerplexityOptions options() {
        if (documents != null && documents < 1) {
            throw new UsageException("--documents must be at least 1");
        }
        if (!(prefillFraction >= 0 && prefillFraction < 1)) {
            throw new UsageException("--prefill must be in [0, 1), got " + prefillFraction);
        }
        if (separator.isBlank()) {
            throw new UsageException("--separator must not be blank");
        }
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (threadCount < 1) {
            throw new UsageException("--threads must be at least 1");
        }
        try {
            return new PerplexityOptions(kvCache, prefillFraction, documents == null ? Integer.MAX_VALUE : documents,
                    separator, threadCount);
        } catch (IllegalArgumentException bad) {
            throw new UsageException(bad.getMessage());
        }
    }

    private String readText() {
        try {
            String text = Files.readString(textFile);
            if (text.isBlank()) {
                throw new IllegalArgumentException("text file " + textFile + " is empty");
            }
            return text;
        } catch (NoSuchFileException missing) {
            throw new IllegalArgumentException("text file " + textFile + " does not exist");
        } catch (IOException failure) {
            throw new IllegalArgumentException("cannot read text file " + textFile + ": " + failure.getMessage());
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

    /** A one-line bar redrawn with a carriage return after each document; the line is ended on close. */
    private static final class ProgressBar implements PerplexityProgress, AutoCloseable {
        private static final int WIDTH = 30;
        private final PrintStream terminal;
        private boolean drawn;

        ProgressBar(PrintStream terminal) {
            this.terminal = terminal;
        }

        @Override
        public void onDocument(int documentsDone, int documentsTotal, long scoredTokens) {
            int filled = (int) ((long) WIDTH * documentsDone / documentsTotal);
            terminal.print("\r[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] " + documentsDone + "/"
                    + documentsTotal + " documents, " + scoredTokens + " tokens scored");
            terminal.flush();
            drawn = true;
        }

        @Override
        public void close() {
            if (drawn) {
                terminal.println();
            }
        }
    }
}
