package dev.zipcache.langchain4j.conformance;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.common.AbstractStreamingChatModelListenerIT;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.zipcache.langchain4j.ZipCacheStreamingChatModel;

/**
 * LangChain4j's {@link AbstractStreamingChatModelListenerIT} on {@link ZipCacheStreamingChatModel}, all of it. The
 * failing model runs over weights that were closed: the failure reaches {@code onError} from the worker thread.
 */
class StreamingChatModelListenerConformanceTest extends AbstractStreamingChatModelListenerIT {

    @Override
    protected StreamingChatModel createModel(ChatModelListener listener) {
        return ZipCacheStreamingChatModel.builder().model(Conformance.model()).threads(1).seed(3L)
                .temperature(temperature()).topP(topP()).maxOutputTokens(maxTokens()).listeners(listener).build();
    }

    @Override
    protected String modelName() {
        return Conformance.MODEL_NAME;
    }

    @Override
    protected StreamingChatModel createFailingModel(ChatModelListener listener) {
        return ZipCacheStreamingChatModel.builder().model(Conformance.closedModel()).threads(1).listeners(listener)
                .build();
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
