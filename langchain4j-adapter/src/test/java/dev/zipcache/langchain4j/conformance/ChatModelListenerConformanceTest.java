package dev.zipcache.langchain4j.conformance;

import dev.langchain4j.model.chat.ChatModel;
import dev.langchain4j.model.chat.common.AbstractChatModelListenerIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.zipcache.langchain4j.ZipCacheChatModel;

/**
 * LangChain4j's {@link AbstractChatModelListenerIT} on {@link ZipCacheChatModel}, all of it. The failing model runs
 * over weights that were closed, so the request fails inside the engine after the listeners saw it.
 */
class ChatModelListenerConformanceTest extends AbstractChatModelListenerIT {

    @Override
    protected ChatModel createModel(ChatModelListener listener) {
        return ZipCacheChatModel.builder().model(Conformance.model()).threads(1).seed(3L)
                .temperature(temperature()).topP(topP()).maxOutputTokens(maxTokens()).listeners(listener).build();
    }

    @Override
    protected String modelName() {
        return Conformance.MODEL_NAME;
    }

    @Override
    protected ChatModel createFailingModel(ChatModelListener listener) {
        return ZipCacheChatModel.builder().model(Conformance.closedModel()).threads(1).listeners(listener).build();
    }

    @Override
    protected Class<? extends Exception> expectedExceptionClass() {
        return IllegalStateException.class;
    }

    @Override
    protected boolean supportsTools() {
        return false;
    }
}
