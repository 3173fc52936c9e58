package dev.zipcache.langchain4j;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.UnsupportedFeatureException;
import dev.langchain4j.model.chat.listener.ChatModelErrorContext;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelRequestContext;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ChatRequestParameters;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.output.FinishReason;
import dev.zipcache.engine.generate.ContextOverflowException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ZipCacheStreamingChatModelTest {

    private static final String STORY = "Tell me a story about a cat";

    /** Records every event in order, with the thread it came on. */
    private static final class Recorder implements StreamingChatResponseHandler {
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<String> partials = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new CopyOnWriteArrayList<>();
        final CompletableFuture<ChatResponse> complete = new CompletableFuture<>();
        final CompletableFuture<Throwable> error = new CompletableFuture<>();
        BiConsumer<String, PartialResponseContext> onPartial = (text, context) -> { };

        @Override
        public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
            events.add("partial");
            partials.add(partial.text());
            threads.add(Thread.currentThread());
            onPartial.accept(partial.text(), context);
        }

        @Override
        public void onCompleteResponse(ChatResponse response) {
            events.add("complete");
            threads.add(Thread.currentThread());
            complete.complete(response);
        }

        @Override
        public void onError(Throwable failure) {
            events.add("error");
            error.complete(failure);
        }
    }

    @Test
    void streamsPartialsInOrderThenOneCompleteResponse() throws Exception {
        String expected;
        try (ZipCacheChatModel blocking = Stories.greedy().maxOutputTokens(40).build()) {
            expected = blocking.chat(STORY);
        }
        try (ZipCacheStreamingChatModel model = Stories.greedyStreaming().maxOutputTokens(40).build()) {
            Recorder recorder = new Recorder();
            model.chat(STORY, recorder);
            ChatResponse response = recorder.complete.get(30, TimeUnit.SECONDS);

            assertThat(String.join("", recorder.partials)).isEqualTo(response.aiMessage().text()).isEqualTo(expected);
            assertThat(recorder.partials).hasSizeGreaterThan(5).allSatisfy(piece -> assertThat(piece).isNotEmpty());
            assertThat(recorder.events).last().isEqualTo("complete");
            assertThat(recorder.events).containsOnlyOnce("complete").doesNotContain("error");
            assertThat(recorder.threads).containsOnly(recorder.threads.getFirst())
                    .doesNotContain(Thread.currentThread());
            assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
            assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(40);
            assertThat(response.metadata()).isInstanceOf(ZipCacheChatResponseMetadata.class);
        }
    }

    @Test
    void cancellingTheHandleStopsGeneration() throws Exception {
        try (ZipCacheStreamingChatModel model = Stories.greedyStreaming().build()) {
            Recorder recorder = new Recorder();
            CountDownLatch cancelled = new CountDownLatch(1);
            recorder.onPartial = (text, context) -> {
                if (recorder.partials.size() == 3) {
                    context.streamingHandle().cancel();
                    assertThat(context.streamingHandle().isCancelled()).isTrue();
                    cancelled.countDown();
                }
            };
            // No token limit: uncancelled, it would write until the 512-token context is full.
            model.chat(STORY, recorder);
            assertThat(cancelled.await(30, TimeUnit.SECONDS)).isTrue();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (model.sessions().active() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(model.sessions().active()).isZero(); // the session was given back: generation ended
            Thread.sleep(50);
            assertThat(recorder.events).containsExactly("partial", "partial", "partial");
            assertThat(recorder.complete).isNotDone();
            assertThat(recorder.error).isNotDone();
        }
    }

    @Test
    void unsupportedFeaturesAreThrownAtOnceAndOtherFailuresGoToOnError() throws Exception {
        try (ZipCacheStreamingChatModel model = Stories.greedyStreaming().maxOutputTokens(5).build()) {
            Recorder unsupported = new Recorder();
            assertThatThrownBy(() -> model.chat(ChatRequest.builder().messages(UserMessage.from(STORY))
                    .parameters(ChatRequestParameters.builder()
                            .toolSpecifications(ToolSpecification.builder().name("weather").build()).build())
                    .build(), unsupported))
                    .isExactlyInstanceOf(UnsupportedFeatureException.class).hasMessageContaining("tools");
            assertThat(unsupported.events).isEmpty();

            Recorder overflow = new Recorder();
            model.chat("once upon a time ".repeat(200), overflow);
            assertThat(overflow.error.get(30, TimeUnit.SECONDS)).isInstanceOf(ContextOverflowException.class)
                    .hasMessageContaining("context of 512 tokens");
            assertThat(overflow.events).containsExactly("error");
        }
    }

    @Test
    void handlerExceptionsGoToOnErrorAndStreamingGoesOn() throws Exception {
        try (ZipCacheStreamingChatModel model = Stories.greedyStreaming().maxOutputTokens(10).build()) {
            Recorder recorder = new Recorder();
            RuntimeException bug = new RuntimeException("bug in user code");
            recorder.onPartial = (text, context) -> {
                if (recorder.partials.size() == 1) {
                    throw bug;
                }
            };
            model.chat(STORY, recorder);
            ChatResponse response = recorder.complete.get(30, TimeUnit.SECONDS);
            assertThat(recorder.error.get()).isSameAs(bug);
            assertThat(recorder.events).containsOnlyOnce("error").last().isEqualTo("complete");
            assertThat(String.join("", recorder.partials)).isEqualTo(response.aiMessage().text());
        }
    }

    @Test
    void completeResponseExceptionGoesToOnErrorAndOnErrorExceptionsAreIgnored() throws Exception {
        List<String> listened = new CopyOnWriteArrayList<>();
        ChatModelListener listener = new ChatModelListener() {
            @Override
            public void onRequest(ChatModelRequestContext context) {
                listened.add("request");
            }

            @Override
            public void onResponse(ChatModelResponseContext context) {
                listened.add("response");
            }

            @Override
            public void onError(ChatModelErrorContext context) {
                listened.add("error");
            }
        };
        try (ZipCacheStreamingChatModel model = Stories.greedyStreaming().maxOutputTokens(8).listeners(listener)
                .build()) {
            RuntimeException bug = new RuntimeException("bug in onCompleteResponse");
            CompletableFuture<Throwable> error = new CompletableFuture<>();
            model.chat(STORY, new StreamingChatResponseHandler() {
                @Override
                public void onCompleteResponse(ChatResponse response) {
                    throw bug;
                }

                @Override
                public void onError(Throwable failure) {
                    error.complete(failure);
                    throw new IllegalStateException("bug in onError too: logged and ignored");
                }
            });
            assertThat(error.get(30, TimeUnit.SECONDS)).isSameAs(bug);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (model.sessions().active() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(listened).containsExactly("request", "response", "error");

            // The model still serves requests afterwards.
            Recorder recorder = new Recorder();
            model.chat(STORY, recorder);
            assertThat(recorder.complete.get(30, TimeUnit.SECONDS).aiMessage().text()).isNotEmpty();
        }
    }

    @Test
    void closeLetsTheAnswerInProgressFinishBeforeClosingItsOwnModel() throws Exception {
        Recorder recorder = new Recorder();
        ZipCacheStreamingChatModel model = ZipCacheStreamingChatModel.builder().modelPath(Stories.path())
                .temperature(0.0).threads(1).maxOutputTokens(60).build();
        model.chat(STORY, recorder);
        model.close();
        assertThat(recorder.complete).isDone();
        assertThat(recorder.complete.get().tokenUsage().outputTokenCount()).isEqualTo(60);
        assertThat(recorder.error).isNotDone();
    }
}
