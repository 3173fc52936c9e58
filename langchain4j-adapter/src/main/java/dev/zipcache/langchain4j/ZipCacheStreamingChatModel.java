package dev.zipcache.langchain4j;

import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.ModelProvider;
import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.chat.response.StreamingHandle;
import dev.zipcache.engine.generate.CancellationToken;
import dev.zipcache.engine.generate.FinishReason;
import dev.zipcache.engine.generate.GenerationResult;
import dev.zipcache.engine.generate.SessionPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A LangChain4j {@link StreamingChatModel} over the zipcache engine: the same settings, parameters and KV cache reuse
 * as {@link ZipCacheChatModel}, with the answer streamed.
 *
 * <p><b>Events.</b> {@code doChat} checks the request on the caller's thread and throws
 * {@link UnsupportedFeatureException} at once for what zipcache cannot do (as LangChain4j's providers do). Generation
 * then runs on a worker thread, which delivers the text through {@code onPartialResponse} in order (pieces are whole
 * characters; text that may begin a stop sequence is held back until it cannot) and then exactly one
 * {@code onCompleteResponse}, or {@code onError} for any other failure (invalid values, a prompt longer than the
 * context, engine errors). An exception thrown by the handler's {@code onPartialResponse} or
 * {@code onCompleteResponse} is passed to its {@code onError}; generation goes on.
 *
 * <p><b>Cancellation.</b> {@link StreamingHandle#cancel()} (from {@link PartialResponseContext#streamingHandle()})
 * stops generation after the token in progress; no further event follows, not even {@code onCompleteResponse}.
 */
public final class ZipCacheStreamingChatModel implements StreamingChatModel, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ZipCacheStreamingChatModel.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ChatEngine engine;
    private final List<ChatModelListener> listeners;
    private final ExecutorService executor;

    private ZipCacheStreamingChatModel(Builder builder) {
        this.engine = new ChatEngine(builder);
        this.listeners = builder.listeners;
        ThreadFactory daemons = task -> {
            Thread thread = new Thread(task, "zipcache-stream-" + THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
        this.executor = Executors.newCachedThreadPool(daemons);
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public void doChat(ChatRequest chatRequest, StreamingChatResponseHandler handler) {
        ChatEngine.Prepared prepared;
        try {
            prepared = engine.prepare(chatRequest);
        } catch (UnsupportedFeatureException unsupported) {
            throw unsupported;
        } catch (RuntimeException invalid) {
            executor.execute(() -> error(handler, invalid));
            return;
        }
        executor.execute(() -> stream(prepared, handler));
    }

    private void stream(ChatEngine.Prepared prepared, StreamingChatResponseHandler handler) {
        CancellationToken cancellation = prepared.cancellation();
        StreamingHandle handle = new Handle(cancellation);
        GenerationResult result;
        try {
            result = engine.generate(prepared, (tokenId, piece) -> {
                if (!piece.isEmpty() && !cancellation.isCancelled()) {
                    try {
                        handler.onPartialResponse(new PartialResponse(piece), new PartialResponseContext(handle));
                    } catch (Exception inHandler) {
                        error(handler, inHandler);
                    }
                }
            });
        } catch (Throwable failure) {
            if (!cancellation.isCancelled()) {
                error(handler, failure);
            }
            return;
        }
        if (result.finishReason() == FinishReason.CANCELLED || cancellation.isCancelled()) {
            return;
        }
        ChatResponse response = engine.response(result);
        try {
            handler.onCompleteResponse(response);
        } catch (Exception inHandler) {
            error(handler, inHandler);
        }
    }

    /** Hands a failure to the handler; a failure of {@code onError} itself is only logged. */
    private static void error(StreamingChatResponseHandler handler, Throwable failure) {
        try {
            handler.onError(failure);
        } catch (Exception inHandler) {
            LOG.warn("StreamingChatResponseHandler.onError threw; ignored", inHandler);
        }
    }

    /** The handle LangChain4j gives the handler: cancelling it cancels the generation. */
    private record Handle(CancellationToken cancellation) implements StreamingHandle {

        @Override
        public void cancel() {
            cancellation.cancel();
        }

        @Override
        public boolean isCancelled() {
            return cancellation.isCancelled();
        }
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

    /** The pool of sessions (for tests: whether a generation still holds one). */
    SessionPool sessions() {
        return engine.sessionPool();
    }

    /** The model's name as responses report it. */
    public String modelName() {
        return engine.modelName();
    }

    /**
     * Stops accepting requests, waits for the answers in progress to be delivered, then closes the sessions, and the
     * model when this chat model loaded it from {@code modelPath}. Interrupting the waiting thread closes at once;
     * answers still running then end with an error.
     */
    @Override
    public void close() {
        executor.shutdown();
        try {
            while (!executor.awaitTermination(1, TimeUnit.MINUTES)) {
                LOG.info("closing: waiting for answers in progress");
            }
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
        }
        engine.close();
    }

    /** Builds a {@link ZipCacheStreamingChatModel}; see {@link ZipCacheModelBuilder} for the settings. */
    public static final class Builder extends ZipCacheModelBuilder<Builder> {

        private Builder() {
        }

        /**
         * Loads the model (unless shared) and checks the settings.
         *
         * @throws UnsupportedFeatureException when the default parameters ask for what zipcache cannot do
         * @throws IllegalArgumentException    for invalid values or an unknown KV cache spec
         */
        public ZipCacheStreamingChatModel build() {
            return new ZipCacheStreamingChatModel(this);
        }
    }
}
