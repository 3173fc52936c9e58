package dev.zipcache.langchain4j;

import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.zipcache.engine.model.Model;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * The settings {@link ZipCacheChatModel} and {@link ZipCacheStreamingChatModel} share. Give the weights either as
 * {@link #modelPath(Path)} (the chat model loads and closes them) or as an already loaded {@link #model(Model)} that
 * several chat models share (its owner closes it, after them). Sampling values left unset take the engine's
 * defaults (llama.cpp's: temperature 0.8, top-k 40, top-p 0.95, min-p 0.05).
 *
 * @param <B> the concrete builder
 */
public abstract class ZipCacheModelBuilder<B extends ZipCacheModelBuilder<B>> {

    Path modelPath;
    Path tokenizerPath;
    boolean mmap = true;
    Model model;
    String modelName;
    String kvCache;
    Double temperature;
    Double topP;
    Integer topK;
    Double minP;
    Double repetitionPenalty;
    Integer maxOutputTokens;
    List<String> stopSequences;
    Long seed;
    Integer threads;
    String device;
    Integer sessions;
    Integer maxWaitingRequests;
    ChatRequestParameters defaultRequestParameters;
    List<ChatModelListener> listeners = List.of();

    ZipCacheModelBuilder() {
    }

    @SuppressWarnings("unchecked")
    private B self() {
        return (B) this;
    }

    /** A GGUF file or a llama2.c checkpoint; the chat model loads it and closes it in {@code close()}. */
    public B modelPath(Path modelPath) {
        this.modelPath = modelPath;
        return self();
    }

    /**
     * Whether {@link #modelPath} is mapped (true, the default) or its weights are read into memory (false, as
     * llama.cpp's {@code --no-mmap}): slower to load, and on some machines much faster to decode.
     */
    public B mmap(boolean mmap) {
        this.mmap = mmap;
        return self();
    }

    /** A llama2.c tokenizer file, when it is not beside the checkpoint (ignored for GGUF). */
    public B tokenizerPath(Path tokenizerPath) {
        this.tokenizerPath = tokenizerPath;
        return self();
    }

    /** An already loaded model whose weights this chat model shares with others; it is not closed by the chat model. */
    public B model(Model model) {
        this.model = model;
        return self();
    }

    /** The name reported in responses; by default the model file's name without its extension. */
    public B modelName(String modelName) {
        this.modelName = modelName;
        return self();
    }

    /** The KV cache spec, {@code NAME[:key=value,...]}: {@code zipcache}, {@code kivi:bits=2}, ...; default fp16. */
    public B kvCache(String kvCache) {
        this.kvCache = kvCache;
        return self();
    }

    /** 0 is greedy. */
    public B temperature(Double temperature) {
        this.temperature = temperature;
        return self();
    }

    /** 1 keeps all tokens. */
    public B topP(Double topP) {
        this.topP = topP;
        return self();
    }

    /** 0 keeps all tokens. */
    public B topK(Integer topK) {
        this.topK = topK;
        return self();
    }

    /** 0 keeps all tokens. */
    public B minP(Double minP) {
        this.minP = minP;
        return self();
    }

    /** llama.cpp's multiplicative repeat penalty over the last 64 tokens; 1 is off. */
    public B repetitionPenalty(Double repetitionPenalty) {
        this.repetitionPenalty = repetitionPenalty;
        return self();
    }

    /** The most tokens per answer; by default, until the context is full. */
    public B maxOutputTokens(Integer maxOutputTokens) {
        this.maxOutputTokens = maxOutputTokens;
        return self();
    }

    /** Texts that end an answer (not included in it), besides the chat template's own end of turn. */
    public B stopSequences(List<String> stopSequences) {
        this.stopSequences = stopSequences;
        return self();
    }

    public B stopSequences(String... stopSequences) {
        return stopSequences(Arrays.asList(stopSequences));
    }

    /** A fixed sampling seed makes answers reproducible; by default each request draws one. */
    public B seed(Long seed) {
        this.seed = seed;
        return self();
    }

    /** Compute threads per session, the calling thread included; default: all processors. */
    public B threads(Integer threads) {
        this.threads = threads;
        return self();
    }

    /**
     * The compute backend: {@code "cpu"} (default) or {@code "cuda"} (an NVIDIA GPU, with the zipcache-cuda module on
     * the class path). A missing GPU or driver fails {@code build()} with one clear message.
     */
    public B device(String device) {
        this.device = device;
        return self();
    }

    /**
     * The most sessions (each with a KV cache for the whole context) working at once; default 1. Requests beyond it
     * wait. More sessions let more conversations keep their cache between turns.
     */
    public B sessions(Integer sessions) {
        this.sessions = sessions;
        return self();
    }

    /** How many requests may wait for a session; one more fails at once. Default: no limit. */
    public B maxWaitingRequests(Integer maxWaitingRequests) {
        this.maxWaitingRequests = maxWaitingRequests;
        return self();
    }

    /**
     * Default request parameters (a {@link ZipCacheChatRequestParameters} can also set seed, min-p, repetition
     * penalty and KV cache). Values set on this builder directly win over these.
     */
    public B defaultRequestParameters(ChatRequestParameters parameters) {
        this.defaultRequestParameters = parameters;
        return self();
    }

    public B listeners(List<ChatModelListener> listeners) {
        this.listeners = listeners == null ? List.of() : List.copyOf(listeners);
        return self();
    }

    public B listeners(ChatModelListener... listeners) {
        return listeners(Arrays.asList(listeners));
    }
}
