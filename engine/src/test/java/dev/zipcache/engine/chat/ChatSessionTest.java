package dev.zipcache.engine.chat;

import dev.zipcache.engine.generate.ContextOverflowException;
import dev.zipcache.engine.generate.FinishReason;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.generate.TokenListener;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Conversations on the real stories260K model (no chat template: the plain fallback). */
class ChatSessionTest {

    private static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(SharedFiles.file("models/stories260K/stories260K.bin"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static Session open() {
        return Session.open(model, SessionOptions.defaults().withKvCache("fp16").withThreads(2));
    }

    @Test
    void modelWithoutTemplateGetsPlainFallback() {
        try (Session session = open()) {
            assertThat(ChatSession.open(session, null).template()).isEqualTo(ChatTemplate.PLAIN);
        }
    }

    @Test
    void secondTurnPrefillsOnlyItsNewTokens() {
        try (Session session = open()) {
            ChatSession chat = ChatSession.open(session, "You tell stories.");
            ChatReply first = chat.send("Tell me about a cat.", ChatOptions.greedy(24), TokenListener.NONE);
            assertThat(first.result().usage().cachedPromptTokens()).isZero();
            long heldAfterFirst = session.cacheStats().tokens();

            StringBuilder streamed = new StringBuilder();
            ChatReply second = chat.send("And a dog?", ChatOptions.greedy(24), (id, text) -> streamed.append(text));

            int[] secondPrompt = second.result().promptTokenIds();
            int promptTokens = secondPrompt.length;
            // Everything the first turn left in the cache is reused; only the rest of the new prompt is run.
            assertThat(second.result().usage().cachedPromptTokens()).isEqualTo((int) heldAfterFirst);
            assertThat(second.result().timings().prefilledTokens()).isEqualTo((int) (promptTokens - heldAfterFirst));
            // The new tokens are those after the first turn's prompt and answer.
            int firstTurnTokens = first.result().promptTokenIds().length + first.result().generatedTokenIds().length;
            assertThat(second.result().timings().prefilledTokens()).isLessThanOrEqualTo(promptTokens - firstTurnTokens + 1);
            assertThat(streamed.toString()).isEqualTo(second.text());
            assertThat(chat.messages()).extracting(ChatMessage::role).containsExactly(ChatMessage.Role.SYSTEM,
                    ChatMessage.Role.USER, ChatMessage.Role.ASSISTANT, ChatMessage.Role.USER,
                    ChatMessage.Role.ASSISTANT);
            assertThat(chat.answers()).isEqualTo(2);
        }
    }

    @Test
    void promptHasExactlyOneBos() {
        try (Session session = open()) {
            int bos = model.tokenizer().specialTokens().bos();
            for (ChatTemplate template : ChatTemplate.values()) {
                int[] tokens = session.tokenize(template.render(List.of(ChatMessage.user("Hi")), true), true);
                assertThat(tokens[0]).as(template.id()).isEqualTo(bos);
                assertThat(tokens[1]).as(template.id()).isNotEqualTo(bos);
            }
        }
    }

    @Test
    void resetForgetsTurnsButKeepsSystemPrompt() {
        try (Session session = open()) {
            ChatSession chat = ChatSession.open(session, "Be nice.");
            chat.send("Hi", ChatOptions.greedy(8), TokenListener.NONE);
            chat.reset();
            assertThat(chat.messages()).containsExactly(ChatMessage.system("Be nice."));
            assertThat(session.cacheStats().tokens()).isZero();
            ChatReply again = chat.send("Hi", ChatOptions.greedy(8), TokenListener.NONE);
            assertThat(again.result().usage().cachedPromptTokens()).isZero();
        }
    }

    @Test
    void dropsOldestExchangesWhenTheContextFills() {
        String longMessage = "Once upon a time there was a little girl who liked to play in the park with her dog. "
                .repeat(4);
        try (Session session = open()) {
            ChatSession chat = ChatSession.open(session, "Stories.");
            int context = model.config().contextLength();
            ChatReply reply = null;
            int turns = 0;
            while (turns < 20 && (reply == null || reply.droppedMessages() == 0)) {
                reply = chat.send(turns + " " + longMessage, ChatOptions.greedy(16), TokenListener.NONE);
                turns++;
            }
            assertThat(reply.droppedMessages()).isPositive().isEven();
            assertThat(chat.messages().getFirst()).isEqualTo(ChatMessage.system("Stories."));
            assertThat(chat.messages().get(1).content()).doesNotStartWith("0 ");
            // Room for the answer was kept: the prompt plus the answer limit fits.
            assertThat(reply.result().usage().promptTokens() + 16).isLessThanOrEqualTo(context);
            assertThat(reply.result().finishReason()).isNotEqualTo(FinishReason.CANCELLED);
        }
    }

    @Test
    void messageLongerThanTheContextIsAnErrorAndLeavesHistoryUnchanged() {
        try (Session session = open()) {
            ChatSession chat = ChatSession.open(session, null);
            chat.send("Hi", ChatOptions.greedy(4), TokenListener.NONE);
            List<ChatMessage> before = chat.messages();
            assertThatThrownBy(() -> chat.send("a cat sat on the mat ".repeat(200), ChatOptions.greedy(4),
                    TokenListener.NONE)).isInstanceOf(ContextOverflowException.class);
            assertThat(chat.messages()).isEqualTo(before);
        }
    }
}
