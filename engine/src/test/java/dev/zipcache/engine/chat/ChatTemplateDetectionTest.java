package dev.zipcache.engine.chat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Families recognised from the Jinja templates that real models ship in {@code tokenizer.chat_template}. */
class ChatTemplateDetectionTest {

    @ParameterizedTest
    @CsvSource({
            "llama3.jinja, LLAMA_3",
            "llama2.jinja, LLAMA_2",
            "qwen2-chatml.jinja, CHATML",
            "mistral-instruct.jinja, MISTRAL",
            "tinyllama-zephyr.jinja, ZEPHYR",
            "gemma.jinja, GEMMA"})
    void detectsFamilyFromRealTemplate(String file, ChatTemplate expected) throws IOException {
        assertThat(ChatTemplate.detect(resource(file))).contains(expected);
    }

    @ParameterizedTest
    @CsvSource({"phi3.jinja", "vicuna.jinja"})
    void leavesOtherFamiliesUnrecognised(String file) throws IOException {
        assertThat(ChatTemplate.detect(resource(file))).isEmpty();
    }

    @Test
    void acceptsTemplateNames() {
        assertThat(ChatTemplate.detect("llama3")).contains(ChatTemplate.LLAMA_3);
        assertThat(ChatTemplate.named("ChatML")).contains(ChatTemplate.CHATML);
        assertThat(ChatTemplate.named("plain")).contains(ChatTemplate.PLAIN);
        assertThat(ChatTemplate.named("jinja")).isEqualTo(Optional.empty());
    }

    private static String resource(String file) throws IOException {
        try (InputStream in = ChatTemplateDetectionTest.class.getResourceAsStream("/chat-templates/" + file)) {
            assertThat(in).as(file).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
