package dev.zipcache.cli;

import dev.zipcache.engine.bench.BenchmarkOptions;
import dev.zipcache.engine.bench.BenchmarkProgress;
import dev.zipcache.engine.bench.BenchmarkResult;
import dev.zipcache.engine.bench.BenchmarkRunner;
import dev.zipcache.engine.bench.Warmup;
import dev.zipcache.engine.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code zipcache bench}: llama-bench for KV caches. Prefill and decode speed, time to first token and KV-cache size
 * for each cache at each prompt length (see {@link BenchmarkRunner}); this command only parses and prints.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Benchmark KV caches: prefill and decode speed, time to first token and KV-cache size, for "
                + "each cache at each prompt length.",
                "Each (cache, prompt length) gets untimed warm-up runs (by default until the JIT compilers are "
                        + "quiet), then -r timed runs: a prefill of P tokens (BOS + repeated English text), then -n "
                        + "greedy decode steps (EOS ignored). Speeds are medians with their min-max range."})
final class BenchCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Mixin
    DeviceOptions deviceOptions;

    @Option(names = {"-p", "--prompt-tokens"}, split = ",", paramLabel = "P",
            description = "prompt lengths in tokens, comma separated (default: those of 128,512,2048 that fit the "
                    + "context with -n)")
    List<Integer> promptLengths;

    @Option(names = {"-n", "--generated-tokens"}, defaultValue = "" + BenchmarkOptions.DEFAULT_GENERATED_TOKENS,
            paramLabel = "N", description = "decode steps timed after each prefill (default: ${DEFAULT-VALUE})")
    int generatedTokens;

    @Option(names = "--kv-cache", paramLabel = "SPEC",
            description = {"a KV cache NAME[:key=value,...] (repeatable; default: fp16 and zipcache). One value may "
                    + "list several, separated by ';' or by a comma followed by a new NAME: "
                    + "'fp16,kivi:bits=2,group=32,zipcache' is three caches."})
    List<String> kvCacheValues;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "compute threads (default: all cores)")
    Integer threads;

    @Option(names = {"-r", "--repetitions"}, defaultValue = "" + BenchmarkOptions.DEFAULT_REPETITIONS,
            paramLabel = "R", description = "timed runs per cache and prompt length (default: ${DEFAULT-VALUE})")
    int repetitions;

    @Option(names = "--warmup", defaultValue = "auto", paramLabel = "auto|N",
            description = {"untimed runs before the timed ones, per cache and prompt length: 'auto' (the default) "
                    + "repeats them until one runs with the JIT compilers busy under 5% of its time (at most 30 runs "
                    + "or 60 s), N takes exactly N (0: none)"})
    String warmup;

    @Option(names = "--json", description = "print one JSON array, a row per cache and prompt length")
    boolean json;

    @Option(names = "--csv", description = "print CSV (the --json columns) instead of a table")
    boolean csv;

    @Option(names = "--png", paramLabel = "FILE",
            description = "also write a PNG chart of decode speed against prompt length, a line per cache")
    Path png;

    /** The caches compared when none is given: the baseline and the method this project is about. */
    static final List<String> DEFAULT_KV_CACHES = List.of("fp16", "zipcache");

    @Override
    public void run() {
        if (json && csv) {
            throw new UsageException("give --json or --csv, not both");
        }
        List<String> caches = kvCacheValues == null ? DEFAULT_KV_CACHES : splitCacheSpecs(kvCacheValues);
        caches.forEach(GenerateCommand::validateCacheSpec);
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        List<Integer> requestedLengths = promptLengths == null ? BenchmarkOptions.DEFAULT_PROMPT_LENGTHS : promptLengths;
        BenchmarkOptions options = options(caches, requestedLengths, threadCount);
        if (png != null && png.toAbsolutePath().getParent() != null
                && !Files.isDirectory(png.toAbsolutePath().getParent())) {
            // Found now rather than after a long benchmark.
            throw new UsageException("--png: folder " + png.toAbsolutePath().getParent() + " does not exist");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Model model = modelOptions.load()) {
            if (promptLengths == null) {
                options = options(caches, defaultLengthsThatFit(model.config().contextLength()), threadCount);
            }
            BenchmarkRunner runner;
            try {
                runner = new BenchmarkRunner(model, options);
            } catch (IllegalArgumentException tooLong) {
                throw new UsageException(tooLong.getMessage());
            }
            List<BenchmarkResult> rows;
            try (TerminalProgress bar = TerminalProgress.onStderr()) {
                rows = runner.run(new BenchmarkProgress() {
                    @Override
                    public void onRun(int done, int total, String cache, int promptTokens) {
                        bar.show(done, total, done + "/" + total + " timed runs, " + cache + " at " + promptTokens
                                + " prompt tokens");
                    }

                    @Override
                    public void onWarmup(int warmupRun, int done, int total, String cache, int promptTokens) {
                        bar.show(done, total, "warm-up run " + warmupRun + ", " + cache + " at " + promptTokens
                                + " prompt tokens");
                    }
                });
            }
            if (json) {
                out.println(Json.write(BenchOutput.jsonRows(rows)));
            } else if (csv) {
                out.print(BenchOutput.csv(rows));
            } else {
                out.print(BenchOutput.table(rows));
            }
            out.flush();
            if (png != null) {
                writeChart(rows);
            }
        }
    }

    private BenchmarkOptions options(List<String> caches, List<Integer> lengths, int threadCount) {
        try {
            return new BenchmarkOptions(caches, lengths, generatedTokens, threadCount, repetitions,
                    deviceOptions.validated(), Warmup.parse(warmup));
        } catch (IllegalArgumentException bad) {
            throw new UsageException(bad.getMessage());
        }
    }

    /** The default lengths are a menu: a small model gets those its context holds (an explicit -p must fit). */
    private List<Integer> defaultLengthsThatFit(int contextLength) {
        List<Integer> fitting = BenchmarkOptions.DEFAULT_PROMPT_LENGTHS.stream()
                .filter(length -> length + generatedTokens <= contextLength).toList();
        if (fitting.isEmpty()) {
            throw new UsageException("no default prompt length fits the model's context of " + contextLength
                    + " tokens with -n " + generatedTokens + "; give -p");
        }
        return fitting;
    }

    private void writeChart(List<BenchmarkResult> rows) {
        try {
            BenchChart.writePng(rows, png);
        } catch (IOException failure) {
            throw new IllegalStateException("cannot write " + png + ": " + failure.getMessage(), failure);
        }
    }

    /**
     * The cache specs in the {@code --kv-cache} values. A spec's own options are comma separated
     * ({@code kivi:bits=2,group=32}), so within a value a comma starts a new spec only where what follows is not
     * {@code key=value} of a spec with options; {@code ;} always starts a new spec. Empty pieces are dropped.
     */
    static List<String> splitCacheSpecs(List<String> values) {
        List<String> specs = new ArrayList<>();
        for (String value : values) {
            for (String group : value.split(";")) {
                String current = null;
                for (String piece : group.split(",", -1)) {
                    if (current != null && current.contains(":") && isOption(piece)) {
                        current = current + "," + piece;
                    } else {
                        addIfPresent(specs, current);
                        current = piece;
                    }
                }
                addIfPresent(specs, current);
            }
        }
        return specs;
    }

    /** {@code key=value}, as opposed to {@code NAME} or {@code NAME:key=value}. */
    private static boolean isOption(String piece) {
        int equals = piece.indexOf('=');
        int colon = piece.indexOf(':');
        return equals >= 0 && (colon < 0 || colon > equals);
    }

    private static void addIfPresent(List<String> specs, String spec) {
        if (spec != null && !spec.isBlank()) {
            specs.add(spec.strip());
        }
    }
}
