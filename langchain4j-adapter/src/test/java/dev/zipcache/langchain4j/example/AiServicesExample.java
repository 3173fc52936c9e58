package dev.zipcache.langchain4j.example;

import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import dev.zipcache.langchain4j.ZipCacheChatModel;

import java.nio.file.Path;

/**
 * The adapter behind a LangChain4j {@link AiServices} interface with chat memory: each call sends the whole remembered
 * conversation, and the KV cache that already holds it means only the new message is prefilled.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... AiServicesExample [MODEL]}, or through
 * {@code ExamplesTest}.
 */
public final class AiServicesExample {

    /** What the application sees: a plain Java interface. */
    public interface Storyteller {
        @SystemMessage("You tell short stories to children.")
        String tell(String request);
    }

    private AiServicesExample() {
    }

    public static void main(String[] args) {
        Path path = Path.of(args.length > 0 ? args[0] : "../shared/models/stories260K/stories260K.bin");
        try (ZipCacheChatModel model = ZipCacheChatModel.builder()
                .modelPath(path)
                .kvCache("zipcache")
                .temperature(0.0)
                .maxOutputTokens(40)
                .build()) {
            Storyteller storyteller = AiServices.builder(Storyteller.class)
                    .chatModel(model)
                    .chatMemory(MessageWindowChatMemory.withMaxMessages(10))
                    .build();
            for (String request : new String[] {"Tell me about a girl named Lily.", "What did Lily find?",
                    "How did it end?"}) {
                System.out.println("> " + request);
                System.out.println(storyteller.tell(request));
            }
        }
    }
}
