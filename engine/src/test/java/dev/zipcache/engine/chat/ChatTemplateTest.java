package dev.zipcache.engine.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;

import static dev.zipcache.engine.chat.ChatMessage.assistant;
import static dev.zipcache.engine.chat.ChatMessage.system;
import static dev.zipcache.engine.chat.ChatMessage.user;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each family against text derived by hand from its official Jinja template (the files under
 * {@code src/test/resources/chat-templates}) for the same conversation.
 */
class ChatTemplateTest {

    private static final List<ChatMessage> CONVERSATION = List.of(system("You are kind."), user("Hi"),
            assistant("Hello!"), user("Again"));

    @Test
    void rendersLlama3WithOneBeginOfTextAndBlankLineAfterEachHeader() {
        assertThat(ChatTemplate.LLAMA_3.render(List.of(system("You are kind."), user("Hi")), true)).isEqualTo(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are kind.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(ChatTemplate.LLAMA_3.render(CONVERSATION, true)).isEqualTo(
                "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are kind.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello!<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nAgain<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
    }

    @Test
    void llama3TrimsContentAndOmitsTheAssistantHeaderWithoutGenerationPrompt() {
        assertThat(ChatTemplate.LLAMA_3.render(List.of(user("  Hi \n")), false)).isEqualTo(
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>");
    }

    @Test
    void rendersLlama2WithSystemInsideTheFirstInstruction() {
        assertThat(ChatTemplate.LLAMA_2.render(CONVERSATION, true)).isEqualTo(
                "<s>[INST] <<SYS>>\nYou are kind.\n<</SYS>>\n\nHi [/INST] Hello! </s><s>[INST] Again [/INST]");
        assertThat(ChatTemplate.LLAMA_2.render(List.of(user(" Hi ")), true)).isEqualTo("<s>[INST] Hi [/INST]");
    }

    @Test
    void rendersChatMlWithoutBos() {
        assertThat(ChatTemplate.CHATML.render(CONVERSATION, true)).isEqualTo(
                "<|im_start|>system\nYou are kind.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                        + "<|im_start|>assistant\nHello!<|im_end|>\n<|im_start|>user\nAgain<|im_end|>\n"
                        + "<|im_start|>assistant\n");
    }

    @Test
    void rendersMistralWithSystemBeforeTheFirstUserMessage() {
        assertThat(ChatTemplate.MISTRAL.render(CONVERSATION, true)).isEqualTo(
                "<s>[INST] You are kind.\n\nHi [/INST]Hello!</s>[INST] Again [/INST]");
        assertThat(ChatTemplate.MISTRAL.render(List.of(user("Hi")), true)).isEqualTo("<s>[INST] Hi [/INST]");
    }

    @Test
    void rendersZephyrLikeTinyLlamaChat() {
        assertThat(ChatTemplate.ZEPHYR.render(CONVERSATION, true)).isEqualTo(
                "<|system|>\nYou are kind.</s>\n<|user|>\nHi</s>\n<|assistant|>\nHello!</s>\n<|user|>\nAgain</s>\n"
                        + "<|assistant|>\n");
    }

    @Test
    void rendersGemmaWithModelRoleAndSystemFoldedIntoFirstUserTurn() {
        assertThat(ChatTemplate.GEMMA.render(CONVERSATION, true)).isEqualTo(
                "<bos><start_of_turn>user\nYou are kind.\n\nHi<end_of_turn>\n<start_of_turn>model\nHello!<end_of_turn>\n"
                        + "<start_of_turn>user\nAgain<end_of_turn>\n<start_of_turn>model\n");
    }

    @Test
    void rendersPlainFallbackAsLabelledLines() {
        assertThat(ChatTemplate.PLAIN.render(CONVERSATION, true)).isEqualTo(
                "System: You are kind.\nUser: Hi\nAssistant: Hello!\nUser: Again\nAssistant:");
        assertThat(ChatTemplate.PLAIN.stopStrings()).containsExactly("\nUser:");
    }

    /** What makes KV cache reuse possible: the prompt of one turn is the start of the next turn's prompt. */
    @ParameterizedTest
    @EnumSource(ChatTemplate.class)
    void promptOfATurnIsAPrefixOfTheConversationAfterItsAnswer(ChatTemplate template) {
        List<ChatMessage> asked = List.of(system("Be brief."), user("Hi"));
        List<ChatMessage> answered = List.of(system("Be brief."), user("Hi"), assistant("Hello!"), user("Again"));
        assertThat(template.render(answered, true)).startsWith(template.render(asked, true));
    }

    @Test
    void namesEndOfTurnTokensPerFamily() {
        assertThat(ChatTemplate.LLAMA_3.endOfTurnTokens()).contains("<|eot_id|>");
        assertThat(ChatTemplate.CHATML.endOfTurnTokens()).containsExactly("<|im_end|>");
        assertThat(ChatTemplate.GEMMA.endOfTurnTokens()).containsExactly("<end_of_turn>");
        assertThat(ChatTemplate.ZEPHYR.endOfTurnTokens()).containsExactly("</s>");
        assertThat(ChatTemplate.LLAMA_3.includesBos()).isTrue();
        assertThat(ChatTemplate.CHATML.includesBos()).isFalse();
    }
}
