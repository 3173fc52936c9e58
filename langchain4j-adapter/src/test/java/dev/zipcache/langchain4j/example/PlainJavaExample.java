package dev.zipcache.langchain4j.example;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.PartialResponse;
import dev.langchain4j.model.chat.response.PartialResponseContext;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.zipcache.engine.model.Model;
import dev.zipcache.langchain4j.ZipCacheChatModel;
import dev.zipcache.langchain4j.ZipCacheChatResponseMetadata;
import dev.zipcache.langchain4j.ZipCacheStreamingChatModel;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

/**
 * The adapter from plain Java: a blocking chat model and a streaming one sharing one set of weights, a two-turn
 * conversation whose second turn reuses the first turn's KV cache, and the cache statistics of each answer.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... PlainJavaExample [MODEL]} (default: the shared
 * stories260K checkpoint), or through {@code ExamplesTest}.
 */
public final class PlainJavaExample {

    private PlainJavaExample() {
    }

    public static void main(String[] args) throws Exception {
        Path path = Path.of(args.length > 0 ? args[0] : "../shared/models/stories260K/stories260K.bin");
        try (Model model = Model.load(path);
             ZipCacheChatModel chat = ZipCacheChatModel.builder()
                     .model(model)              // shared weights; modelPath(path) would load (and close) its own
                     .kvCache("zipcache")       // the compressed KV cache; any spec from `zipcache caches`
                     .temperature(0.0)
                     .maxOutputTokens(48)
                     .build();
             ZipCacheStreamingChatModel streaming = ZipCacheStreamingChatModel.builder()
                     .model(model)
                     .kvCache("zipcache")
                     .temperature(0.7)
                     .seed(42L)
                     .maxOutputTokens(48)
                     .build()) {

            UserMessage question = UserMessage.from("Tell me a story about a little dog.");
            ChatResponse first = chat.chat(question);
            System.out.println("answer: " + first.aiMessage().text());
            System.out.println(describe(first));

            // The next turn repeats the whole conversation (as LangChain4j does); only its new tokens are prefilled.
            ChatResponse second = chat.chat(question, first.aiMessage(), UserMessage.from("What did the dog eat?"));
            System.out.println("answer: " + second.aiMessage().text());
            System.out.println(describe(second));

            CompletableFuture<ChatResponse> done = new CompletableFuture<>();
            System.out.print("streamed:");
            streaming.chat("Once upon a time there was a cat.", new StreamingChatResponseHandler() {
                @Override
                public void onPartialResponse(PartialResponse partial, PartialResponseContext context) {
                    System.out.print(partial.text()); // context.streamingHandle().cancel() would stop here
                }

                @Override
                public void onCompleteResponse(ChatResponse response) {
                    done.complete(response);
                }

                @Override
                public void onError(Throwable error) {
                    done.completeExceptionally(error);
                }
            });
            ChatResponse streamed = done.get();
            System.out.println();
            System.out.println(describe(streamed));
        }
    }

    private static String describe(ChatResponse response) {
        ZipCacheChatResponseMetadata metadata = (ZipCacheChatResponseMetadata) response.metadata();
        return String.format("  %s | %d prompt tokens (%d from the cache, %d prefilled) + %d answer tokens | KV cache "
                        + "%s: %d tokens in %d bytes, %.2fx smaller than fp16",
                response.finishReason(), response.tokenUsage().inputTokenCount(), metadata.cachedPromptTokens(),
                metadata.prefilledTokens(), response.tokenUsage().outputTokenCount(), metadata.kvCache(),
                metadata.kvCacheTokens(), metadata.kvCacheBytes(), metadata.compressionRatio());
    }

}
