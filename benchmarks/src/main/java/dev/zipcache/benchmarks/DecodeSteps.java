package dev.zipcache.benchmarks;

import dev.zipcache.engine.bench.BenchmarkRunner;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.sampling.Sampler;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code zipcache bench}'s protocol with every decode step timed: per run a fresh session, a prefill of
 * {@code bench}'s prompt and {@code STEPS} greedy decode steps. {@code bench} reports one mean per run; this shows
 * which steps carry it. Run 0 is {@code bench}'s first warm-up run; {@code bench} takes more until the JIT is quiet
 * (its {@code warmup_runs}), so its first timed run is the run after that many. A run whose median is far from the
 * next run's points at the JIT: code compiled from one phase's profile, then thrown away and recompiled in the other
 * phase while the compiler thread takes a core from the decode (NOTES §21), or code still being compiled (§23).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -cp
 * benchmarks/target/benchmarks.jar dev.zipcache.benchmarks.DecodeSteps MODEL PROMPT_TOKENS STEPS CACHE [THREADS]
 * [RUNS]} (add {@code -Xlog:deoptimization=debug,jit+compilation=debug:file=jit.log} to see what recompiles).
 */
public final class DecodeSteps {

    private DecodeSteps() {
    }

    /** One run: the prefill's wall time, and the decode steps as {@link AlternatingDecode.Steps}. */
    public record Run(double prefillSeconds, AlternatingDecode.Steps steps) {
    }

    /** {@code runs} runs, each in a fresh session: prefill {@code promptTokens}, then {@code steps} timed steps. */
    public static List<Run> run(Model model, int promptTokens, int steps, String cache, int threads, int runs) {
        if (promptTokens < 1 || steps < 1 || threads < 1 || runs < 1) {
            throw new IllegalArgumentException("need at least one prompt token, step, thread and run; got "
                    + promptTokens + ", " + steps + ", " + threads + ", " + runs);
        }
        int[] prompt = BenchmarkRunner.promptTokens(model, promptTokens);
        int vocabulary = model.config().vocabularySize();
        SessionOptions options = SessionOptions.defaults().withThreads(threads).withKvCache(cache);
        List<Run> results = new ArrayList<>();
        for (int r = 0; r < runs; r++) {
            try (Session session = Session.open(model, options)) {
                long start = System.nanoTime();
                int next = Sampler.argMax(session.prefill(prompt), vocabulary);
                double prefillSeconds = (System.nanoTime() - start) / 1e9;
                long[] nanos = new long[steps];
                int[] tokens = new int[steps];
                for (int step = 0; step < steps; step++) {
                    tokens[step] = next;
                    long stepStart = System.nanoTime();
                    next = Sampler.argMax(session.decode(next), vocabulary);
                    nanos[step] = System.nanoTime() - stepStart;
                }
                results.add(new Run(prefillSeconds, new AlternatingDecode.Steps(cache, nanos, tokens)));
            }
        }
        return results;
    }

    public static void main(String[] args) {
        if (args.length < 4 || args.length > 6) {
            System.err.println("usage: DecodeSteps MODEL PROMPT_TOKENS STEPS CACHE [THREADS] [RUNS]");
            System.exit(2);
        }
        try (Model model = Model.load(Path.of(args[0]))) {
            int threads = args.length > 4 ? Integer.parseInt(args[4]) : Runtime.getRuntime().availableProcessors();
            int runs = args.length > 5 ? Integer.parseInt(args[5]) : 2;
            List<Run> results = run(model, Integer.parseInt(args[1]), Integer.parseInt(args[2]), args[3], threads,
                    runs);
            for (int r = 0; r < results.size(); r++) {
                AlternatingDecode.Steps steps = results.get(r).steps();
                System.out.printf(Locale.ROOT, "run %d %s: prefill %.1f s, median %.2f ms/step, mean %.2f ms "
                                + "(%.1f tok/s, bench's figure), slow steps %s%n", r, steps.cache(),
                        results.get(r).prefillSeconds(), steps.medianMillis(), steps.meanMillis(),
                        1e3 / steps.meanMillis(), AlternatingDecode.describe(steps));
            }
        } catch (RuntimeException failure) {
            // A bad number, a model that does not load, a prompt that does not fit: one line, as the CLI says it.
            System.err.println("DecodeSteps: " + failure.getMessage());
            System.exit(1);
        }
    }
}
