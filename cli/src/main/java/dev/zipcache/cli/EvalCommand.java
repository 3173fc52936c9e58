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

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
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

    @Mixin
    ScoringOptions scoring;

    @Option(names = "--kv-cache", required = true, paramLabel = "SPEC",
            description = "a KV cache to evaluate, NAME[:key=value,...], where a value may be a list "
                    + "(key=v1,v2,...); repeatable; see 'zipcache caches'")
    List<String> kvCaches;

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
        PerplexityOptions options = scoring.toOptions(configurations.getFirst().toString());
        for (Path output : new Path[] {markdownFile, csvFile, pngFile}) {
            requireFolder(output);
        }
        List<String> scoredDocuments = readDocuments();
        List<PerplexityReport> reports = new ArrayList<>();
        try (Model model = modelOptions.load(); TerminalProgress bar = TerminalProgress.onStderr()) {
            requireCreatable(configurations, model);
            int count = configurations.size();
            // All configurations run in lockstep with one full-precision reference (computed once).
            PerplexityProgress progress = (done, total, tokens) -> bar.show(done, total, count
                    + " configurations, " + done + "/" + total + " documents, " + tokens + " tokens scored each");
            reports.addAll(new PerplexityEvaluator(model, options).compareCaches(
                    configurations.stream().map(Spec::toString).toList(), scoredDocuments, progress));
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
        List<String> split = DocumentSplitter.split(scoring.readText(), scoring.separator);
        if (split.isEmpty()) {
            throw new IllegalArgumentException("text file " + scoring.textFile + " has no documents (it holds only"
                    + " separator lines '" + scoring.separator.strip() + "')");
        }
        return split.subList(0, scoring.documents == null ? split.size() : Math.min(split.size(), scoring.documents));
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
}
