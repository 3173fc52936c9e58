package dev.zipcache.langchain4j;

import dev.langchain4j.data.message.AiMessage;
import dev.langchain4j.data.message.ChatMessage;
import dev.langchain4j.data.message.Content;
import dev.langchain4j.data.message.SystemMessage;
import dev.langchain4j.data.message.TextContent;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.request.ResponseFormatType;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.TokenUsage;
import dev.zipcache.engine.chat.ChatFormat;
import dev.zipcache.engine.chat.ChatOptions;
import dev.zipcache.engine.compute.ComputeBackend;
import dev.zipcache.engine.compute.CpuForwardPass;
import dev.zipcache.engine.generate.CancellationToken;
import dev.zipcache.engine.generate.ContextOverflowException;
import dev.zipcache.engine.generate.GenerationRequest;
import dev.zipcache.engine.generate.GenerationResult;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.generate.SessionPool;
import dev.zipcache.engine.generate.TokenListener;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.sampling.SamplingParameters;
import dev.zipcache.spi.KvCacheStats;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * What both chat models do, in one place: check a LangChain4j request, turn it into an engine request (the model's
 * chat template, our sampler, stop strings, the KV cache), run it on a pooled session and turn the result into a
 * {@link ChatResponse}. The pool gives a conversation's next turn the session whose cache already holds its earlier
 * turns, so only the new tokens are prefilled. Thread-safe.
 */
final class ChatEngine implements AutoCloseable {

    /** The engine's sampling defaults (llama.cpp's), as reported in {@code defaultRequestParameters()}. */
    private static final SamplingParameters ENGINE_DEFAULTS = SamplingParameters.defaults(0);

    private final Model model;
    private final boolean ownsModel;
    private final String modelName;
    private final ChatFormat format;
    private final SessionPool pool;
    private final int maxWaiting;
    private final ZipCacheChatRequestParameters defaults;

    /** A checked request, ready to run. */
    record Prepared(int[] promptTokens, String kvCache, GenerationRequest request, CancellationToken cancellation) {
    }

    ChatEngine(ZipCacheModelBuilder<?> builder) {
        if ((builder.model == null) == (builder.modelPath == null)) {
            throw new IllegalArgumentException("set either modelPath(...) or model(...) (a shared, loaded model)");
        }
        this.ownsModel = builder.model == null;
        this.model = ownsModel ? Model.load(builder.modelPath, builder.tokenizerPath, builder.mmap) : builder.model;
        try {
            this.modelName = builder.modelName != null ? builder.modelName : model.name();
            this.defaults = defaults(builder, modelName);
            checkSupported(defaults);
            sampling(defaults); // rejects values out of range now rather than on the first request
            Providers.kvCaches().resolve(Spec.parse(defaults.kvCache()));
            int threads = positive(builder.threads, Runtime.getRuntime().availableProcessors(), "threads");
            int sessions = positive(builder.sessions, 1, "sessions");
            this.maxWaiting = builder.maxWaitingRequests == null ? Integer.MAX_VALUE
                    : Math.max(0, builder.maxWaitingRequests);
            this.format = ChatFormat.forModel(model);
            String device = builder.device == null ? ComputeBackend.CPU : builder.device;
            ComputeBackend.named(device); // an unknown name fails now, listing the known ones
            this.pool = new SessionPool(model, new SessionOptions(defaults.kvCache(), threads,
                    CpuForwardPass.DEFAULT_MAX_BATCH, device), sessions);
            if (!device.equalsIgnoreCase(ComputeBackend.CPU)) {
                pool.openFirstSession(); // a missing GPU or driver fails build(), not the first request
            }
        } catch (RuntimeException failure) {
            if (ownsModel) {
                model.close();
            }
            throw failure;
        }
    }

    private static int positive(Integer value, int fallback, String name) {
        if (value == null) {
            return fallback;
        }
        if (value < 1) {
            throw new IllegalArgumentException(name + " must be at least 1, got " + value);
        }
        return value;
    }

    /** Engine defaults, overridden by the builder's default parameters, overridden by the builder's own setters. */
    private static ZipCacheChatRequestParameters defaults(ZipCacheModelBuilder<?> builder, String modelName) {
        ZipCacheChatRequestParameters.Builder merged = ZipCacheChatRequestParameters.builder()
                .modelName(modelName)
                .temperature(decimal(ENGINE_DEFAULTS.temperature()))
                .topP(decimal(ENGINE_DEFAULTS.topP()))
                .topK(ENGINE_DEFAULTS.topK())
                .minP(decimal(ENGINE_DEFAULTS.minP()))
                .repetitionPenalty(decimal(ENGINE_DEFAULTS.repetitionPenalty()))
                .kvCache(SessionOptions.DEFAULT_KV_CACHE);
        if (builder.defaultRequestParameters != null) {
            merged.overrideWith(builder.defaultRequestParameters);
        }
        return merged.overrideWith(ZipCacheChatRequestParameters.builder()
                .temperature(builder.temperature)
                .topP(builder.topP)
                .topK(builder.topK)
                .minP(builder.minP)
                .repetitionPenalty(builder.repetitionPenalty)
                .maxOutputTokens(builder.maxOutputTokens)
                .stopSequences(builder.stopSequences)
                .seed(builder.seed)
                .kvCache(builder.kvCache)
                .build()).build();
    }

    /** The float as the decimal it was written as (0.8, not 0.800000011920929). */
    private static double decimal(float value) {
        return Double.parseDouble(Float.toString(value));
    }

    String modelName() {
        return modelName;
    }

    ZipCacheChatRequestParameters defaultRequestParameters() {
        return defaults;
    }

    SessionPool sessionPool() {
        return pool;
    }

    /**
     * Checks a request and prepares its engine request: prompt tokens in the model's chat template, sampling, stop
     * strings and token limit from the parameters (over this model's defaults).
     *
     * @throws UnsupportedFeatureException for what zipcache cannot do (tools, JSON response format, non-text
     *                                     content, another model, frequency/presence penalties)
     * @throws IllegalArgumentException    for values out of range, an unknown KV cache spec, or a prompt that does
     *                                     not fit the context ({@link ContextOverflowException})
     */
    Prepared prepare(ChatRequest request) {
        // ChatModel.chat has merged the defaults already; merging again keeps a direct doChat call honest.
        ZipCacheChatRequestParameters parameters = request.parameters() == null ? defaults
                : defaults.overrideWith(request.parameters());
        checkSupported(parameters);
        List<dev.zipcache.engine.chat.ChatMessage> messages = messages(request.messages());
        SamplingParameters sampling = sampling(parameters);
        if (!parameters.kvCache().equals(defaults.kvCache())) {
            Providers.kvCaches().resolve(Spec.parse(parameters.kvCache())); // the default was checked when built
        }
        int[] prompt = format.promptTokens(messages);
        int context = model.config().contextLength();
        if (prompt.length >= context) {
            throw new ContextOverflowException(prompt.length, context);
        }
        Integer limit = parameters.maxOutputTokens();
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("maxOutputTokens must be at least 1, got " + limit);
        }
        int maxTokens = limit != null ? limit : context - prompt.length;
        List<String> stops = parameters.stopSequences() == null ? List.of() : parameters.stopSequences();
        CancellationToken cancellation = new CancellationToken();
        GenerationRequest generation = format.request(prompt,
                new ChatOptions(maxTokens, sampling, stops, cancellation));
        return new Prepared(prompt, parameters.kvCache(), generation, cancellation);
    }

    /** Rejects, with LangChain4j's exception, every parameter we would otherwise have to ignore. */
    private void checkSupported(ChatRequestParameters parameters) {
        if (parameters.modelName() != null && !parameters.modelName().equals(modelName)) {
            throw new UnsupportedFeatureException("modelName '" + parameters.modelName() + "' is not supported: "
                    + "this chat model serves only '" + modelName + "'; build another chat model for another model");
        }
        if (parameters.toolChoice() == ToolChoice.REQUIRED) {
            throw new UnsupportedFeatureException("ToolChoice.REQUIRED is not supported: zipcache models do not call "
                    + "tools");
        }
        if (parameters.toolSpecifications() != null && !parameters.toolSpecifications().isEmpty()) {
            throw new UnsupportedFeatureException("tools are not supported by zipcache chat models (no tool "
                    + "calling); remove the tool specifications");
        }
        if (parameters.responseFormat() != null && parameters.responseFormat().type() == ResponseFormatType.JSON) {
            throw new UnsupportedFeatureException("JSON response format is not supported by zipcache chat models "
                    + "(no constrained decoding)" + (parameters.responseFormat().jsonSchema() != null
                    ? ", with or without a JSON schema" : ""));
        }
        rejectPenalty("frequencyPenalty", parameters.frequencyPenalty());
        rejectPenalty("presencePenalty", parameters.presencePenalty());
    }

    private static void rejectPenalty(String name, Double value) {
        if (value != null && value != 0.0) {
            throw new UnsupportedFeatureException(name + " is not supported by zipcache's sampler (OpenAI's additive "
                    + "penalties); use ZipCacheChatRequestParameters.repetitionPenalty (llama.cpp's multiplicative "
                    + "repeat penalty) instead");
        }
    }

    private static SamplingParameters sampling(ZipCacheChatRequestParameters parameters) {
        long seed = SamplingParameters.seedOrRandom(parameters.seed());
        return new SamplingParameters(parameters.temperature().floatValue(), parameters.topK(),
                parameters.topP().floatValue(), parameters.minP().floatValue(),
                parameters.repetitionPenalty().floatValue(), ENGINE_DEFAULTS.repetitionWindow(), seed);
    }

    /** LangChain4j's messages as the engine's; only text can be rendered by a chat template. */
    private static List<dev.zipcache.engine.chat.ChatMessage> messages(List<ChatMessage> messages) {
        List<dev.zipcache.engine.chat.ChatMessage> converted = new ArrayList<>(messages.size());
        for (ChatMessage message : messages) {
            converted.add(switch (message) {
                case SystemMessage system -> dev.zipcache.engine.chat.ChatMessage.system(system.text());
                case UserMessage user -> dev.zipcache.engine.chat.ChatMessage.user(text(user));
                case AiMessage ai -> {
                    if (ai.hasToolExecutionRequests()) {
                        throw new UnsupportedFeatureException("tool execution requests in an AI message are not "
                                + "supported: zipcache models do not call tools");
                    }
                    yield dev.zipcache.engine.chat.ChatMessage.assistant(ai.text() == null ? "" : ai.text());
                }
                default -> throw new UnsupportedFeatureException(message.type() + " messages are not supported by "
                        + "zipcache chat models (only system, user and AI text)");
            });
        }
        return converted;
    }

    private static String text(UserMessage user) {
        if (user.hasSingleText()) {
            return user.singleText();
        }
        StringBuilder text = new StringBuilder();
        for (Content content : user.contents()) {
            if (!(content instanceof TextContent part)) {
                throw new UnsupportedFeatureException(content.type().name().toLowerCase(Locale.ROOT)
                        + " content is not supported: zipcache models read text only");
            }
            if (!text.isEmpty()) {
                text.append('\n');
            }
            text.append(part.text());
        }
        return text.toString();
    }

    /**
     * Runs a prepared request on a pooled session, streaming text to {@code listener}.
     *
     * @throws SessionPool.SaturatedException when {@code maxWaitingRequests} requests already wait
     */
    GenerationResult generate(Prepared prepared, TokenListener listener) {
        SessionPool.Lease lease;
        try {
            lease = pool.acquire(prepared.kvCache(), prepared.promptTokens(), maxWaiting);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for a free session", interrupted);
        }
        boolean completed = false;
        try {
            GenerationResult result = lease.session().generate(prepared.request(), listener);
            completed = true;
            return result;
        } finally {
            if (completed) {
                lease.close();
            } else {
                lease.discard(); // its cache may be half-written
            }
        }
    }

    /** The LangChain4j response for a generation. */
    ChatResponse response(GenerationResult result) {
        KvCacheStats stats = result.cacheStats();
        ZipCacheChatResponseMetadata metadata = ZipCacheChatResponseMetadata.builder()
                .id("zipcache-" + UUID.randomUUID())
                .modelName(modelName)
                .tokenUsage(new TokenUsage(result.usage().promptTokens(), result.usage().completionTokens(),
                        result.usage().totalTokens()))
                .finishReason(switch (result.finishReason()) {
                    case STOP -> FinishReason.STOP;
                    case LENGTH -> FinishReason.LENGTH;
                    case CANCELLED -> FinishReason.OTHER;
                })
                .kvCache(result.cacheSpec())
                .cachedPromptTokens(result.usage().cachedPromptTokens())
                .prefilledTokens(result.timings().prefilledTokens())
                .kvCacheTokens(stats.tokens())
                .kvCacheBytes(stats.bytes())
                .kvCacheFp16Bytes(stats.fp16Bytes())
                .compressionRatio(stats.compressionRatio())
                .build();
        return ChatResponse.builder().aiMessage(AiMessage.from(result.text())).metadata(metadata).build();
    }

    /** Closes the sessions, and the model when this engine loaded it. */
    @Override
    public void close() {
        pool.close();
        if (ownsModel) {
            model.close();
        }
    }
}
