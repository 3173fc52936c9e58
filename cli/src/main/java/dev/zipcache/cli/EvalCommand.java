package dev.zipcache.cli;

import dev.zipcache.engine.evaluate.DocumentSplitter;
import dev.zipcache.engine.evaluate.ParetoFront;
import dev.zipcache.engine.evaluate.PerplexityEvaluator;
import dev.zipcache.engine.evaluate.PerplexityOptions;
import dev.zipcache.engine.evaluate.PerplexityProgress;
import dev.zipcache.engine.evaluate.PerplexityReport;
import dev.zipcache.engine.evaluate.SpecSweep;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.Console;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code zipcache eval}: the perplexity protocol ({@link PerplexityEvaluator}) for every configuration of a sweep of
 * KV cache specs, on the same documents, as one table with each configuration's place on the Pareto front of Δppl
 * against the true compression ratio.
 *
 * <p>Each configuration is scored with its own fp32 reference in lockstep, as {@code perplexity} does: KL and top-1
 * agreement need the reference's logits at every position, and keeping them for a whole run would take
 * vocabulary × positions floats. Every row therefore carries its own ppl_full_precision (equal across rows up to
 * rounding), and a sweep of N configurations costs N fp32 passes on top of the N under test: about twice the time of
 * scoring the caches alone.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Perplexity of a text for a sweep of KV cache configurations, against a full-precision (fp32) "
                + "reference, as one table with the Pareto front of delta ppl against the compression ratio.",
                "A value list in a spec sweeps that option: kivi:bits=2,4,group=32 is kivi:bits=2,group=32 and "
                        + "kivi:bits=4,group=32; several lists give every combination."})
final class EvalCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT",
            description = "the text to score (UTF-8), documents separated by separator lines")
    Path textFile;

    @Option(names = "--kv-cache", required = true, paramLabel = "SPEC",
            description = "a KV cache to evaluate, NAME[:key=value,...], where a value may be a list "
                    + "(key=v1,v2,...); repeatable; see 'zipcache caches'")
    List<String> kvCaches;

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

    @Option(names = "--markdown", paramLabel = "FILE", description = "also write the markdown table to FILE")
    Path markdownFile;

    @Option(names = "--csv", paramLabel = "FILE", description = "also write the table as CSV to FILE")
    Path csvFile;

    @Option(names = "--png", paramLabel = "FILE",
            description = "plot delta ppl against the compression ratio to FILE, and mean KL to FILE with -kl "
                    + "before its extension")
    Path pngFile;

    @Option(names = "--json", description = "print a JSON array, one object per configuration, instead of the table")
    boolean json;

    /** One configuration's measurements and whether no other configuration beats it on both Δppl and ratio. */
    record Row(PerplexityReport report, boolean paretoOptimal) {
    }

    @Override
    public void run() {
        List<Spec> configurations = configurations();
        PerplexityOptions options = options(configurations.getFirst().toString());
        for (Path output : new Path[] {markdownFile, csvFile, pngFile}) {
            requireFolder(output);
        }
        List<String> scoredDocuments = readDocuments();
        List<PerplexityReport> reports = new ArrayList<>();
        try (Model model = modelOptions.load();
             ProgressBar bar = isTerminal() ? new ProgressBar(System.err) : null) {
            requireCreatable(configurations, model);
            for (int index = 0; index < configurations.size(); index++) {
                String configuration = configurations.get(index).toString();
                PerplexityProgress progress = bar == null ? PerplexityProgress.NONE
                        : bar.forConfiguration(index + 1, configurations.size(), configuration);
                reports.add(new PerplexityEvaluator(model, options.withKvCache(configuration))
                        .evaluateDocuments(scoredDocuments, progress));
            }
        }
        List<Row> rows = rows(reports);
        writeOutputs(rows);
    }

    /** Marks the Pareto front of Δppl (lower is better) against the true compression ratio (higher is better). */
    static List<Row> rows(List<PerplexityReport> reports) {
        boolean[] front = ParetoFront.membership(reports.stream()
                .map(report -> new ParetoFront.Point(report.compressionRatio(), report.deltaPplPercent())).toList());
        List<Row> rows = new ArrayList<>();
        for (int index = 0; index < reports.size(); index++) {
            rows.add(new Row(reports.get(index), front[index]));
        }
        return List.copyOf(rows);
    }

    private void writeOutputs(List<Row> rows) {
        String markdown = EvalTables.markdown(rows);
        write(markdownFile, markdown);
        write(csvFile, EvalTables.csv(rows));
        if (pngFile != null) {
            EvalPlot.write(rows, pngFile, EvalPlot.klFile(pngFile));
        }
        PrintWriter out = spec.commandLine().getOut();
        out.print(json ? Json.write(EvalTables.json(rows)) + System.lineSeparator() : markdown);
        out.flush();
    }

    /** Bad option values are usage errors, found before anything is read or loaded. */
    private PerplexityOptions options(String firstConfiguration) {
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
        return new PerplexityOptions(firstConfiguration, prefillFraction,
                documents == null ? Integer.MAX_VALUE : documents, separator, threadCount);
    }

    /** The sweep's configurations, each one resolved now so that a typo fails before a long run starts. */
    private List<Spec> configurations() {
        List<Spec> configurations;
        try {
            configurations = SpecSweep.expandAll(kvCaches);
        } catch (IllegalArgumentException bad) {
            throw new UsageException("--kv-cache: " + bad.getMessage());
        }
        for (Spec configuration : configurations) {
            GenerateCommand.validateCacheSpec(configuration.toString());
        }
        return configurations;
    }

    /**
     * Creates each configuration's cache once, empty, for this model: option values (bits=99, say) are checked only
     * when a cache is made, and a typo in the last configuration must not surface after all the others have run.
     * Caches grow as tokens arrive, so an empty one costs next to nothing.
     */
    private static void requireCreatable(List<Spec> configurations, Model model) {
        ModelConfig config = model.config();
        KvCacheGeometry geometry = new KvCacheGeometry(config.layers(), config.kvHeads(), config.heads(),
                config.headDimension(), config.contextLength());
        for (Spec configuration : configurations) {
            try (KvCache unused = Providers.createCache(configuration.toString(), geometry)) {
                // Made and dropped: only the check matters.
            } catch (IllegalArgumentException bad) {
                throw new UsageException("--kv-cache " + configuration + ": " + bad.getMessage());
            }
        }
    }

    private static void requireFolder(Path output) {
        if (output == null) {
            return;
        }
        Path folder = output.toAbsolutePath().getParent();
        if (folder == null || !Files.isDirectory(folder)) {
            throw new UsageException("output folder " + folder + " does not exist");
        }
    }

    /** The documents every configuration scores: split once, the first --documents kept. */
    private List<String> readDocuments() {
        String text;
        try {
            text = Files.readString(textFile);
        } catch (NoSuchFileException missing) {
            throw new IllegalArgumentException("text file " + textFile + " does not exist");
        } catch (IOException failure) {
            throw new IllegalArgumentException("cannot read text file " + textFile + ": " + failure.getMessage());
        }
        List<String> split = DocumentSplitter.split(text, separator);
        if (split.isEmpty()) {
            throw new IllegalArgumentException("text file " + textFile + " has no documents (it is empty, or holds"
                    + " only separator lines '" + separator.strip() + "')");
        }
        return split.subList(0, documents == null ? split.size() : Math.min(split.size(), documents));
    }

    private static void write(Path file, String content) {
        if (file == null) {
            return;
        }
        try {
            Files.writeString(file, content);
        } catch (IOException failure) {
            throw new UncheckedIOException("cannot write " + file + ": " + failure.getMessage(), failure);
        }
    }

    /** A progress bar only for a person watching: never in a pipe, a file or a test. */
    private static boolean isTerminal() {
        Console console = System.console();
        return console != null && console.isTerminal();
    }

    /**
     * One line redrawn with a carriage return after each document of each configuration; the line is ended on close.
     * The bar fills over the whole sweep, configurations times documents.
     */
    private static final class ProgressBar implements AutoCloseable {
        private static final int WIDTH = 30;
        private final PrintStream terminal;
        private int lastLength;

        ProgressBar(PrintStream terminal) {
            this.terminal = terminal;
        }

        PerplexityProgress forConfiguration(int configuration, int configurations, String name) {
            return (documentsDone, documentsTotal, scoredTokens) -> {
                long done = (long) (configuration - 1) * documentsTotal + documentsDone;
                int filled = (int) (WIDTH * done / ((long) configurations * documentsTotal));
                String line = "[" + "#".repeat(filled) + ".".repeat(WIDTH - filled) + "] configuration "
                        + configuration + "/" + configurations + " " + name + ", " + documentsDone + "/"
                        + documentsTotal + " documents, " + scoredTokens + " tokens scored";
                // Blank out the tail of a longer previous line (spec names differ in length).
                terminal.print("\r" + line + " ".repeat(Math.max(0, lastLength - line.length())));
                terminal.flush();
                lastLength = line.length();
            };
        }

        @Override
        public void close() {
            if (lastLength > 0) {
                terminal.println();
            }
        }
    }
}
