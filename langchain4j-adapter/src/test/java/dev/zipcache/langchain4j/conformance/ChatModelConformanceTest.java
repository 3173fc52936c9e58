package dev.zipcache.langchain4j.conformance;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.common.AbstractChatModelIT;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponseMetadata;
import dev.zipcache.langchain4j.ZipCacheChatModel;
import dev.zipcache.langchain4j.ZipCacheChatResponseMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** LangChain4j's {@link AbstractChatModelIT} on {@link ZipCacheChatModel}; see {@link Conformance} for what is off. */
@ExtendWith(NotApplicable.Condition.class)
class ChatModelConformanceTest extends AbstractChatModelIT implements NotApplicable {

    private final List<ZipCacheChatModel> created = new CopyOnWriteArrayList<>();

    @AfterAll
    void close() {
        created.forEach(ZipCacheChatModel::close);
    }

    @Override
    public Map<String, String> notApplicable() {
        return Map.of(
            "should_respect_user_message", Conformance.BERLIN,
            "should_respect_system_message", Conformance.NEEDS_KNOWLEDGE + ": expects a German translation",
            "should_respect_multiple_messages", Conformance.NEEDS_KNOWLEDGE
                    + ": expects the user's favourite colour recalled",
            "should_respect_stopSequences_in_chat_request", Conformance.HELLO,
            "should_respect_stopSequences_in_default_model_parameters", Conformance.HELLO);
    }

    @Override
    protected List<ChatModel> models() {
        // A new chat model (over the shared weights) per test: JUnit closes AutoCloseable arguments after each.
        return List.of(Conformance.chatModel().build());
    }

    @Override
    protected ChatModel createModelWith(ChatRequestParameters parameters) {
        ZipCacheChatModel withParameters = Conformance.chatModel().maxOutputTokens(null)
                .defaultRequestParameters(parameters).build();
        created.add(withParameters);
        return withParameters;
    }

    @Override
    protected ChatRequestParameters createIntegrationSpecificParameters(int maxOutputTokens) {
        return Conformance.integrationSpecific(maxOutputTokens);
    }

    @Override
    protected Class<? extends ChatResponseMetadata> chatResponseMetadataType(ChatModel model) {
        return ZipCacheChatResponseMetadata.class;
    }

    @Override
    protected boolean supportsModelNameParameter() {
        return false; // one chat model serves one loaded model
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
