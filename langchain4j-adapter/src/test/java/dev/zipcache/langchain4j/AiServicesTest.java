package dev.zipcache.langchain4j;

import dev.langchain4j.data.message.ChatMessageType;
import dev.langchain4j.memory.chat.MessageWindowChatMemory;
import dev.langchain4j.model.chat.listener.ChatModelListener;
import dev.langchain4j.model.chat.listener.ChatModelResponseContext;
import dev.langchain4j.service.AiServices;
import dev.langchain4j.service.SystemMessage;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

class AiServicesTest {

    interface Storyteller {
        @SystemMessage("You tell short stories to children.")
        String chat(String message);
    }

    @Test
    void aiServiceWithChatMemoryReusesTheCacheEveryTurn() {
        List<ZipCacheChatResponseMetadata> turns = new CopyOnWriteArrayList<>();
        ChatModelListener recorder = new ChatModelListener() {
            @Override
            public void onResponse(ChatModelResponseContext context) {
                turns.add((ZipCacheChatResponseMetadata) context.chatResponse().metadata());
            }
        };
        MessageWindowChatMemory memory = MessageWindowChatMemory.withMaxMessages(20);
        try (ZipCacheChatModel model = Stories.greedy().kvCache("zipcache").maxOutputTokens(24)
                .listeners(recorder).build()) {
            Storyteller storyteller = AiServices.builder(Storyteller.class)
                    .chatModel(model)
                    .chatMemory(memory)
                    .build();
            List<String> answers = List.of(
                    storyteller.chat("Tell me about a dog named Max."),
                    storyteller.chat("What did Max find?"),
                    storyteller.chat("How did the story end?"));

            assertThat(answers).allSatisfy(answer -> assertThat(answer).isNotBlank());
            assertThat(memory.messages()).hasSize(7); // system + three user/AI pairs
            assertThat(memory.messages().getFirst().type()).isEqualTo(ChatMessageType.SYSTEM);
            assertThat(turns).hasSize(3);
            assertThat(turns.getFirst().cachedPromptTokens()).isZero();
            for (int turn = 1; turn < 3; turn++) {
                ZipCacheChatResponseMetadata previous = turns.get(turn - 1);
                ZipCacheChatResponseMetadata current = turns.get(turn);
                // The whole previous prompt is reused; only the answer's tail and the new message are prefilled.
                assertThat(current.cachedPromptTokens()).isGreaterThanOrEqualTo(
                        previous.tokenUsage().inputTokenCount());
                assertThat(current.prefilledTokens())
                        .isEqualTo(current.tokenUsage().inputTokenCount() - current.cachedPromptTokens());
                assertThat(current.kvCache()).isEqualTo("zipcache");
                assertThat(current.compressionRatio()).isGreaterThan(1.0);
            }
        }
    }
}
