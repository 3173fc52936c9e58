package dev.zipcache.engine.generate;

import dev.zipcache.engine.compute.ComputeBackend;
import dev.zipcache.engine.compute.ForwardPass;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.sampling.Sampler;
import dev.zipcache.engine.tokenizer.TokenDecoder;
import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheStats;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * One sequence over a shared {@link Model}: it owns a forward pass on the chosen compute backend (with its buffers and
 * threads) and a KV cache, chosen by spec string, that the backend creates. A later generation whose prompt extends
 * the tokens already in the cache (a follow-up turn) prefills only the new tokens. Not thread-safe: one generation
 * at a time.
 */
public final class Session implements AutoCloseable {

    private final Model model;
    private final String cacheSpec;
    private final KvCache cache;
    private final ForwardPass forwardPass;
    /** The tokens whose keys and values are in the cache, in order. */
    private final int[] history;
    private int historyLength;
    private final int[] singleToken = new int[1];

    private Session(Model model, SessionOptions options) {
        this.model = model;
        ModelConfig config = model.config();
        this.cacheSpec = options.kvCacheSpec();
        this.forwardPass = ComputeBackend.named(options.device()).open(config, model.weights(), options.threads(),
                options.maxBatch());
        try {
            this.cache = forwardPass.createCache(options.kvCacheSpec(), new KvCacheGeometry(config.layers(),
                    config.kvHeads(), config.heads(), config.headDimension(), config.contextLength()));
        } catch (RuntimeException failure) {
            forwardPass.close();
            throw failure;
        }
        this.history = new int[config.contextLength() + 1];
    }

    /**
     * Opens a session.
     *
     * @throws IllegalArgumentException for an unknown or invalid cache spec or device
     * @throws dev.zipcache.engine.compute.DeviceUnavailableException when the device or its driver is missing
     */
    public static Session open(Model model, SessionOptions options) {
        return new Session(model, options);
    }

    public Model model() {
        return model;
    }

    /** Tokenizes a prompt the way {@link #generate} does: BOS first when the model asks for it. */
    public int[] tokenize(String prompt, boolean parseSpecial) {
        return model.tokenizer().encodePrompt(prompt, parseSpecial);
    }

    /**
     * Generates a continuation of the request's prompt.
     *
     * @throws ContextOverflowException when the prompt does not fit the context
     */
    public GenerationResult generate(GenerationRequest request, TokenListener listener) {
        int[] prompt = request.prompt() != null ? tokenize(request.prompt(), request.parseSpecial())
                : request.promptTokens();
        int context = model.config().contextLength();
        if (prompt.length == 0) {
            throw new IllegalArgumentException("the prompt is empty and the model adds no BOS token");
        }
        if (prompt.length >= context + 1 || prompt.length > context) {
            throw new ContextOverflowException(prompt.length, context);
        }
        int reused = rewindTo(reusablePrefix(prompt));

        long prefillStart = System.nanoTime();
        float[] logits = run(prompt, reused, prompt.length - reused, KvCache.AttentionKind.PREFILL);
        long prefillNanos = System.nanoTime() - prefillStart;

        Set<Integer> stopTokens = new HashSet<>(model.tokenizer().specialTokens().endOfGeneration());
        stopTokens.addAll(request.extraStopTokens());
        Sampler sampler = new Sampler(request.sampling(), model.config().vocabularySize());
        TokenDecoder decoder = new TokenDecoder(model.tokenizer(), false);
        StopStringMatcher stops = new StopStringMatcher(request.stopStrings());
        StringBuilder text = new StringBuilder();
        int[] generated = new int[request.maxTokens()];
        int generatedCount = 0;
        int sampledCount = 0;
        long decodeNanos = 0;
        int decodedTokens = 0;
        FinishReason finish = FinishReason.LENGTH;
        while (generatedCount < request.maxTokens()) {
            if (request.cancellation() != null && request.cancellation().isCancelled()) {
                finish = FinishReason.CANCELLED;
                break;
            }
            int token = sampler.sample(logits, history, historyLength);
            sampledCount++;
            if (stopTokens.contains(token)) {
                finish = FinishReason.STOP;
                break;
            }
            generated[generatedCount++] = token;
            String piece = stops.accept(decoder.next(token));
            text.append(piece);
            listener.onToken(token, piece);
            if (stops.stopped()) {
                finish = FinishReason.STOP;
                break;
            }
            if (generatedCount == request.maxTokens() || historyLength + 1 > context - 1) {
                finish = FinishReason.LENGTH;
                break;
            }
            long decodeStart = System.nanoTime();
            logits = decode(token);
            decodeNanos += System.nanoTime() - decodeStart;
            decodedTokens++;
        }
        if (finish != FinishReason.STOP || !stops.stopped()) {
            String rest = stops.accept(decoder.flush()) + stops.flush();
            if (!rest.isEmpty()) {
                text.append(rest);
                listener.onToken(-1, rest);
            }
        }
        Usage usage = new Usage(prompt.length, sampledCount, reused);
        Timings timings = new Timings(prefillNanos, prompt.length - reused, decodeNanos, decodedTokens);
        return new GenerationResult(text.toString(), prompt, Arrays.copyOf(generated, generatedCount), finish, usage,
                timings, cacheSpec, cache.stats());
    }

    /**
     * Keeps the first {@code length} cached tokens, or none when the cache cannot drop tokens it has compressed.
     *
     * @return how many tokens were kept
     */
    private int rewindTo(int length) {
        if (length != historyLength && !cache.truncate(length)) {
            cache.truncate(0);
            length = 0;
        }
        historyLength = length;
        return length;
    }

    /**
     * Runs prompt tokens (teacher forcing: a batched prefill) after what the session already holds and returns the
     * logits that predict the next token, in a buffer the next call reuses.
     *
     * @throws ContextOverflowException when the tokens do not fit the context
     */
    public float[] prefill(int[] tokens) {
        checkFits(tokens.length);
        return run(tokens, 0, tokens.length, KvCache.AttentionKind.PREFILL);
    }

    /** Runs one token as a decode step and returns the logits that predict the next one (a reused buffer). */
    public float[] decode(int token) {
        checkFits(1);
        singleToken[0] = token;
        return run(singleToken, 0, 1, KvCache.AttentionKind.DECODE);
    }

    private void checkFits(int count) {
        if (historyLength + count > model.config().contextLength()) {
            throw new ContextOverflowException(historyLength + count, model.config().contextLength());
        }
    }

    /** Runs tokens through the model, appending them to the cache and the history. */
    private float[] run(int[] tokens, int offset, int count, KvCache.AttentionKind kind) {
        float[] logits = forwardPass.forward(tokens, offset, count, cache, kind, false);
        System.arraycopy(tokens, offset, history, historyLength, count);
        historyLength += count;
        return logits;
    }

    /**
     * How many of {@code prompt}'s tokens a generation would find already in this session's cache (and not
     * prefill): the cached tokens that equal the prompt's start, leaving at least one prompt token to run. A cache
     * that cannot drop compressed tokens may still reuse fewer ({@link Usage#cachedPromptTokens()} tells).
     */
    public int reusablePrefix(int[] prompt) {
        int limit = Math.min(historyLength, prompt.length - 1);
        int shared = 0;
        while (shared < limit && history[shared] == prompt[shared]) {
            shared++;
        }
        return shared;
    }

    /** Tokens whose keys and values the cache holds now (the conversation so far). */
    public int cachedTokens() {
        return historyLength;
    }

    /** The KV cache's spec string. */
    public String cacheSpec() {
        return cacheSpec;
    }

    /** The KV cache's current statistics. */
    public KvCacheStats cacheStats() {
        return cache.stats();
    }

    /** Forgets the conversation: the next generation prefills its whole prompt. */
    public void reset() {
        rewindTo(0);
    }

    @Override
    public void close() {
        // The cache first: a device cache frees its memory through the pass's device.
        cache.close();
        forwardPass.close();
    }
}
