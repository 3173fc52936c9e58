package dev.zipcache.engine.bench;

import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.sampling.Sampler;
import dev.zipcache.engine.tokenizer.SpecialTokens;
import dev.zipcache.engine.tokenizer.Tokenizer;
import dev.zipcache.spi.KvCacheStats;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Measures prefill and decode speed and KV-cache size for each KV cache at each prompt length, as llama-bench does for
 * llama.cpp.
 *
 * <p>One run: open a session, prefill the P prompt tokens as one batch (a real prefill, so the cache compresses a
 * real prompt), pick the first token greedily, then run {@code generatedTokens} decode steps, each feeding back the
 * previous greedy pick. End-of-sequence tokens are ignored: every run does the same work. Timings:
 * <ul>
 *   <li>prefill tokens/s = P / prefill time;</li>
 *   <li>time to first token = prefill time + the first greedy pick;</li>
 *   <li>decode tokens/s = generatedTokens / time of the decode steps, each a forward pass and a greedy pick (what a
 *       greedy generator spends per token).</li>
 * </ul>
 * Each (cache, prompt length) gets untimed warm-up runs first, by default until the JIT compilers are quiet
 * ({@link Warmup}), then {@link BenchmarkOptions#repetitions()} timed runs, taken in turn with the other caches' and
 * summarized by median and min–max. The KV sizes are those at the end of the last run (P + generatedTokens tokens,
 * unless the cache evicts).
 */
public final class BenchmarkRunner {

    /**
     * The prompt: plain English prose, repeated and cut to length. Ordinary text rather than random ids, so that the
     * attention patterns a saliency policy sees, and the cost of what it decides, are those of a real prompt.
     */
    static final String PROMPT_TEXT = "Once upon a time, in a small town by the sea, there lived a girl named Lily. "
            + "Every morning she walked to the harbour to watch the fishing boats come home. One day an old sailor "
            + "gave her a map and told her about an island where the trees sang when the wind blew. Lily asked her "
            + "brother Tom to come with her, and together they built a little boat from wood they found on the beach. ";

    private final Model model;
    private final BenchmarkOptions options;
    private final JitClock jit;

    /**
     * @throws IllegalArgumentException when a prompt length plus the generated tokens does not fit the model's context
     */
    public BenchmarkRunner(Model model, BenchmarkOptions options) {
        this(model, options, JitClock.system());
    }

    /** With {@code jit} as the compilers' clock, which decides when an automatic warm-up ends. */
    BenchmarkRunner(Model model, BenchmarkOptions options, JitClock jit) {
        int context = model.config().contextLength();
        for (int length : options.promptLengths()) {
            if (length + options.generatedTokens() > context) {
                throw new IllegalArgumentException("prompt length " + length + " + " + options.generatedTokens()
                        + " generated tokens = " + (length + options.generatedTokens())
                        + " tokens does not fit the model's context of " + context + " tokens");
            }
        }
        this.model = model;
        this.options = options;
        this.jit = jit;
    }

    /**
     * Runs every cache at every prompt length. At each length every cache first takes its warm-up runs, then the
     * caches take their timed runs in turn (a, b, a, b, …), each run in a fresh session: a machine whose speed drifts
     * over minutes (a shared VM, a throttling laptop) then favours no cache, where measuring one cache's runs after
     * the other's compared them in different minutes.
     *
     * @return one row per (cache, prompt length), caches in the options' order and, for each, the prompt lengths in
     *         theirs
     * @throws IllegalArgumentException for an unknown or invalid cache spec
     */
    public List<BenchmarkResult> run(BenchmarkProgress progress) {
        int longest = options.promptLengths().stream().mapToInt(Integer::intValue).max().orElseThrow();
        int[] longestPrompt = promptTokens(model, longest);
        List<String> specs = options.kvCacheSpecs();
        int runsTotal = specs.size() * options.promptLengths().size() * options.repetitions();
        int runsDone = 0;
        Map<String, List<BenchmarkResult>> rowsBySpec = new LinkedHashMap<>();
        specs.forEach(spec -> rowsBySpec.put(spec, new ArrayList<>()));
        for (int length : options.promptLengths()) {
            int[] prompt = Arrays.copyOf(longestPrompt, length);
            int[] warmupRuns = new int[specs.size()];
            for (int cache = 0; cache < specs.size(); cache++) {
                warmupRuns[cache] = warmUp(specs.get(cache), prompt, progress, runsDone, runsTotal);
            }
            Measurement[][] timed = new Measurement[specs.size()][options.repetitions()];
            for (int repetition = 0; repetition < options.repetitions(); repetition++) {
                for (int cache = 0; cache < specs.size(); cache++) {
                    timed[cache][repetition] = measureInFreshSession(specs.get(cache), prompt);
                    progress.onRun(++runsDone, runsTotal, specs.get(cache), length);
                }
            }
            for (int cache = 0; cache < specs.size(); cache++) {
                rowsBySpec.get(specs.get(cache)).add(summarize(specs.get(cache), length, warmupRuns[cache],
                        timed[cache]));
            }
        }
        return rowsBySpec.values().stream().flatMap(List::stream).toList();
    }

    /** The warm-up runs {@link BenchmarkOptions#warmup()} asks for; returns how many there were. */
    private int warmUp(String spec, int[] prompt, BenchmarkProgress progress, int timedRunsDone, int runsTotal) {
        Warmup warmup = options.warmup();
        int runs = 0;
        long lastRunNanos = 0;
        long lastRunCompileMillis = 0;
        long warmupNanos = 0;
        while (warmup.wantsAnotherRun(runs, lastRunNanos, lastRunCompileMillis, warmupNanos)) {
            Measurement run = measureInFreshSession(spec, prompt);
            runs++;
            lastRunNanos = run.wallNanos();
            lastRunCompileMillis = run.compileMillis();
            warmupNanos += run.wallNanos();
            progress.onWarmup(runs, timedRunsDone, runsTotal, spec, prompt.length);
        }
        return runs;
    }

    /**
     * The first {@code length} ids of BOS (when the model asks for it) + the tokens of {@link #PROMPT_TEXT} repeated,
     * no special-token parsing.
     */
    public static int[] promptTokens(Model model, int length) {
        Tokenizer tokenizer = model.tokenizer();
        int[] text = tokenizer.encode(PROMPT_TEXT, false);
        SpecialTokens special = tokenizer.specialTokens();
        int[] prompt = new int[length];
        int filled = 0;
        if (special.addBos() && length > 0) {
            prompt[filled++] = special.bos();
        }
        while (filled < length) {
            int count = Math.min(text.length, length - filled);
            System.arraycopy(text, 0, prompt, filled, count);
            filled += count;
        }
        return prompt;
    }

    private Measurement measureInFreshSession(String spec, int[] prompt) {
        SessionOptions sessionOptions = SessionOptions.defaults().withThreads(options.threads())
                .withDevice(options.device()).withKvCache(spec);
        try (Session session = Session.open(model, sessionOptions)) {
            return measure(session, prompt);
        }
    }

    private Measurement measure(Session session, int[] prompt) {
        int vocabulary = model.config().vocabularySize();
        long compileStart = jit.compileMillis();
        long start = System.nanoTime();
        float[] logits = session.prefill(prompt);
        long prefillEnd = System.nanoTime();
        int token = Sampler.argMax(logits, vocabulary);
        long firstToken = System.nanoTime();
        for (int step = 0; step < options.generatedTokens(); step++) {
            logits = session.decode(token);
            token = Sampler.argMax(logits, vocabulary);
        }
        long decodeEnd = System.nanoTime();
        long compileEnd = jit.compileMillis();
        long compileMillis = compileStart == JitClock.UNKNOWN || compileEnd == JitClock.UNKNOWN ? JitClock.UNKNOWN
                : compileEnd - compileStart;
        return new Measurement(prefillEnd - start, firstToken - start, decodeEnd - firstToken, session.cacheStats(),
                decodeEnd - start, compileMillis);
    }

    private BenchmarkResult summarize(String spec, int promptLength, int warmupRuns, Measurement[] timed) {
        double[] prefill = new double[timed.length];
        double[] decode = new double[timed.length];
        double[] ttft = new double[timed.length];
        long compileMillis = 0;
        for (int i = 0; i < timed.length; i++) {
            prefill[i] = tokensPerSecond(promptLength, timed[i].prefillNanos());
            decode[i] = tokensPerSecond(options.generatedTokens(), timed[i].decodeNanos());
            ttft[i] = timed[i].firstTokenNanos() / 1e6;
            compileMillis = compileMillis == JitClock.UNKNOWN || timed[i].compileMillis() == JitClock.UNKNOWN
                    ? JitClock.UNKNOWN : compileMillis + timed[i].compileMillis();
        }
        KvCacheStats stats = timed[timed.length - 1].cacheStats();
        return new BenchmarkResult(spec, promptLength, options.generatedTokens(), options.threads(), timed.length,
                Summary.of(prefill), Summary.of(decode), Summary.of(ttft), stats.tokens(), stats.bytes(),
                stats.fp16Bytes(), stats.paperRatio(), PeakResidentMemory.bytes(), model.weightsMapped(),
                model.weights().bytesReadPerToken(), warmupRuns, compileMillis);
    }

    private static double tokensPerSecond(int tokens, long nanos) {
        // A timer tick of 0 ns is possible for tiny models on coarse clocks; count it as one tick, not infinity.
        return tokens * 1e9 / Math.max(1, nanos);
    }

    /**
     * One run: its timings, the cache's state at its end, and for the prefill and decode together their wall time and
     * the JIT compilers' working time meanwhile ({@link JitClock#UNKNOWN} where not reported).
     */
    private record Measurement(long prefillNanos, long firstTokenNanos, long decodeNanos, KvCacheStats cacheStats,
                               long wallNanos, long compileMillis) {
    }
}
