package dev.zipcache.server;

import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

import java.net.URL;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** LangChain4j's OpenAI client, unchanged, talks to the service. */
@QuarkusTest
class OpenAiClientTest {

    @TestHTTPResource("/v1")
    URL baseUrl;

    @Test
    void langChain4jsOpenAiChatModelGetsAnAnswer() {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(baseUrl.toString()).apiKey("not-needed")
                .modelName(CompletionsTest.MODEL).temperature(0.0).maxTokens(30).build();
        ChatResponse response = model.chat(dev.langchain4j.data.message.UserMessage.from("Tell me a story."));
        assertThat(response.aiMessage().text()).isNotBlank();
        assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(30);
        assertThat(response.tokenUsage().inputTokenCount()).isPositive();
        assertThat(response.modelName()).isEqualTo(CompletionsTest.MODEL);
    }

    @Test
    void langChain4jsOpenAiStreamingChatModelStreamsTheSameAnswer() throws Exception {
        Warmup.once();
        OpenAiChatModel blocking = OpenAiChatModel.builder().baseUrl(baseUrl.toString()).apiKey("not-needed")
                .modelName(CompletionsTest.MODEL).temperature(0.7).seed(11).maxTokens(30).build();
        String expected = blocking.chat("Tell me a story about a frog.");

        OpenAiStreamingChatModel model = OpenAiStreamingChatModel.builder().baseUrl(baseUrl.toString())
                .apiKey("not-needed").modelName(CompletionsTest.MODEL).temperature(0.7).seed(11).maxTokens(30)
                .build();
        StringBuilder partials = new StringBuilder();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        model.chat("Tell me a story about a frog.", new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
                partials.append(partialResponse);
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.complete(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse response = done.get(30, TimeUnit.SECONDS);
        assertThat(partials.toString()).isEqualTo(expected);
        assertThat(response.aiMessage().text()).isEqualTo(expected);
        assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
    }
}
