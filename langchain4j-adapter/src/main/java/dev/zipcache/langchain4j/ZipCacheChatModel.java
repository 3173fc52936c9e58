package dev.zipcache.langchain4j;

import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.zipcache.engine.generate.TokenListener;

import java.util.List;

/**
 * A LangChain4j {@link ChatModel} that runs a local model on the zipcache engine, with a compressed KV cache.
 *
 * <pre>{@code
 * try (ZipCacheChatModel model = ZipCacheChatModel.builder()
 *         .modelPath(Path.of("models/stories260K/stories260K.bin"))
 *         .kvCache("zipcache")
 *         .temperature(0.0)
 *         .maxOutputTokens(64)
 *         .build()) {
 *     String answer = model.chat("Tell me a story");
 * }
 * }</pre>
 *
 * <p>Every common request parameter is honoured (temperature, top-p, top-k, max output tokens, stop sequences) or
 * rejected with {@link dev.langchain4j.exception.UnsupportedFeatureException} (tools, JSON response format, another
 * model name, frequency and presence penalties, non-text content); {@link ZipCacheChatRequestParameters} adds seed,
 * min-p, repetition penalty and the KV cache. Responses carry {@link ZipCacheChatResponseMetadata}. A request that
 * continues an earlier conversation reuses that conversation's KV cache and prefills only its new tokens.
 * Thread-safe: concurrent requests share the weights and wait for one of {@code sessions} sessions.
 */
public final class ZipCacheChatModel implements ChatModel, AutoCloseable {

    private final ChatEngine engine;
    private final List<ChatModelListener> listeners;

    private ZipCacheChatModel(Builder builder) {
        this.engine = new ChatEngine(builder);
        this.listeners = builder.listeners;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ChatResponse doChat(ChatRequest chatRequest) {
        ChatEngine.Prepared prepared = engine.prepare(chatRequest);
        return engine.response(engine.generate(prepared, TokenListener.NONE));
    }

    @Override
    public ChatRequestParameters defaultRequestParameters() {
        return engine.defaultRequestParameters();
    }

    @Override
    public List<ChatModelListener> listeners() {
        return listeners;
    }

    @Override
    public ModelProvider provider() {
        return ModelProvider.OTHER;
    }

    /** The model's name as responses report it. */
    public String modelName() {
        return engine.modelName();
    }

    /**
     * Closes the sessions, and the model when this chat model loaded it from {@code modelPath}. Call it when no chat
     * is in progress: one still running on another thread ends with an exception.
     */
    @Override
    public void close() {
        engine.close();
    }

    /** Builds a {@link ZipCacheChatModel}; see {@link ZipCacheModelBuilder} for the settings. */
    public static final class Builder extends ZipCacheModelBuilder<Builder> {

        private Builder() {
        }

        /**
         * Loads the model (unless shared) and checks the settings.
         *
         * @throws dev.langchain4j.exception.UnsupportedFeatureException when the default parameters ask for what
         *                                                                zipcache cannot do
         * @throws IllegalArgumentException for invalid values or an unknown KV cache spec
         */
        public ZipCacheChatModel build() {
            return new ZipCacheChatModel(this);
        }
    }
}
