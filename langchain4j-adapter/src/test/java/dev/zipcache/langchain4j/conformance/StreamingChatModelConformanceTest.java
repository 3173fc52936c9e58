package dev.zipcache.langchain4j.conformance;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.zipcache.langchain4j.ZipCacheChatResponseMetadata;
import dev.zipcache.langchain4j.ZipCacheStreamingChatModel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * LangChain4j's {@link AbstractStreamingChatModelIT} on {@link ZipCacheStreamingChatModel}; see {@link Conformance}
 * for what is off. {@code should_cancel_streaming} runs: it waits its fixed 30 s to be sure that no event follows the
 * cancellation.
 */
@ExtendWith(NotApplicable.Condition.class)
class StreamingChatModelConformanceTest extends AbstractStreamingChatModelIT implements NotApplicable {

    private final List<ZipCacheStreamingChatModel> created = new CopyOnWriteArrayList<>();

    @AfterAll
    void close() {
        created.forEach(ZipCacheStreamingChatModel::close);
    }

    @Override
    public Map<String, String> notApplicable() {
        return Map.of(
            "should_respect_user_message", Conformance.BERLIN,
            "should_respect_system_message", Conformance.NEEDS_KNOWLEDGE + ": expects a German translation",
            "should_respect_multiple_messages", Conformance.NEEDS_KNOWLEDGE
                    + ": expects the user's favourite colour recalled",
            "should_propagate_user_exceptions_thrown_from_onPartialResponse", Conformance.BERLIN,
            "should_propagate_user_exceptions_thrown_from_onCompleteResponse", Conformance.BERLIN,
            "should_ignore_user_exceptions_thrown_from_onError", Conformance.BERLIN,
            "should_respect_stopSequences_in_chat_request", Conformance.HELLO,
            "should_respect_stopSequences_in_default_model_parameters", Conformance.HELLO);
    }

    @Override
    protected List<StreamingChatModel> models() {
        // A new chat model (over the shared weights) per test: JUnit closes AutoCloseable arguments after each.
        return List.of(Conformance.streamingChatModel().build());
    }

    @Override
    protected StreamingChatModel createModelWith(ChatRequestParameters parameters) {
        return track(Conformance.streamingChatModel().maxOutputTokens(null).defaultRequestParameters(parameters));
    }

    @Override
    public StreamingChatModel createModelWith(ChatModelListener listener) {
        return track(Conformance.streamingChatModel().listeners(listener));
    }

    private StreamingChatModel track(ZipCacheStreamingChatModel.Builder builder) {
        ZipCacheStreamingChatModel built = builder.build();
        created.add(built);
        return built;
    }

    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return Conformance.integrationSpecific(maxOutputTokens);
    }

    @Override
    protected Class<? extends ChatResponseMetadata> chatResponseMetadataType(StreamingChatModel model) {
        return ZipCacheChatResponseMetadata.class;
    }

    @Override
    protected boolean supportsModelNameParameter() {
        return false;
    }

    @Override
    protected boolean supportsTools() {
        return false;
    }

    @Override
    protected boolean supportsToolChoiceRequired() {
        return false;
    }

    @Override
    protected boolean supportsJsonResponseFormat() {
        return false;
    }

    @Override
    protected boolean supportsJsonResponseFormatWithSchema() {
        return false;
    }

    @Override
    protected boolean supportsJsonResponseFormatWithRawSchema() {
        return false;
    }

    @Override
    protected boolean supportsSingleImageInputAsBase64EncodedString() {
        return false;
    }

    @Override
    protected boolean supportsSingleImageInputAsPublicURL() {
        return false;
    }
}
