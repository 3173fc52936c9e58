package dev.zipcache.engine.tokenizer;

import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.testing.ReferenceCases;
import dev.zipcache.engine.testing.ReferenceCases.GreedyCase;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The SentencePiece tokenizer on stories260K's real 512-token vocabulary (tok512.bin). */
class SentencePieceTokenizerTest {

    static Model model;
    static Tokenizer tokenizer;

    @BeforeAll
    static void load() {
        model = Model.load(SharedFiles.file("models/stories260K/stories260K.bin"));
        tokenizer = model.tokenizer();
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void encodesTheReferencePromptsLikeLlama2c() {
        for (GreedyCase reference : ReferenceCases.greedy("stories260K")) {
            int[] ids = tokenizer.encode(reference.prompt(), true);
            int[] expected = reference.promptTokenIds();
            assertThat(ids).as(reference.prompt()).containsExactly(Arrays.copyOfRange(expected, 1, expected.length));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Once upon a time", "  two leading spaces", "tabs\tand\nnewlines\n\n",
            "digits 0123456789", "Ünïcödé café — “quotes” and ’apostrophes’", "emoji 👋🏽🎉 and 中文",
            "a", "!!!...???"})
    void roundTripsText(String text) {
        assertThat(tokenizer.decode(tokenizer.encode(text, false))).isEqualTo(text);
    }

    @Test
    void fallsBackToUtf8ByteTokensForCharactersOutsideTheVocabulary() {
        int[] ids = tokenizer.encode("中", false);
        // Dummy-prefix space, then the three UTF-8 bytes of U+4E2D as byte tokens <0xE4><0xB8><0xAD> (id = byte + 3).
        byte[] utf8 = "中".getBytes(StandardCharsets.UTF_8);
        assertThat(Arrays.copyOfRange(ids, ids.length - 3, ids.length))
                .containsExactly((utf8[0] & 0xFF) + 3, (utf8[1] & 0xFF) + 3, (utf8[2] & 0xFF) + 3);
        for (int i = ids.length - 3; i < ids.length; i++) {
            assertThat(tokenizer.type(ids[i])).isEqualTo(TokenType.BYTE);
        }
    }

    @Test
    void streamingDecodeNeverEmitsHalfACharacter() {
        int[] ids = tokenizer.encode("ok 👋 中文 done", false);
        TokenDecoder decoder = new TokenDecoder(tokenizer, true);
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            String piece = decoder.next(id);
            assertThat(piece).doesNotContain("\uFFFD");
            if (!piece.isEmpty()) {
                assertThat(Character.isHighSurrogate(piece.charAt(piece.length() - 1))).isFalse();
            }
            text.append(piece);
        }
        assertThat(text.append(decoder.flush()).toString()).isEqualTo("ok 👋 中文 done");
    }

    @Test
    void specialTokenTextBecomesTheTokenOnlyWhenAsked() {
        SpecialTokens special = tokenizer.specialTokens();
        assertThat(special.bos()).isEqualTo(1);
        assertThat(special.eos()).isEqualTo(2);
        assertThat(special.endOfGeneration()).isEqualTo(Set.of(1, 2));
        String bosText = tokenizer.piece(1);
        assertThat(tokenizer.encode("a" + bosText + "b", true)).contains(1);
        assertThat(tokenizer.encode("a" + bosText + "b", false)).doesNotContain(1);
        assertThat(tokenizer.tokenBytes(1)).isEmpty();
    }
}
