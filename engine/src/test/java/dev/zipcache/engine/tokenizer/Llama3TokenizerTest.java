package dev.zipcache.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link BytePairTokenizer} with the real Llama 3 vocabulary against golden ids from two independent JavaScript Llama 3
 * tokenizers ({@code src/test/node/llama3-golden.mjs} wrote {@code tokenizer/llama3-golden.json}). The vocabulary is
 * fetched at test time ({@link Llama3Vocabulary}).
 */
class Llama3TokenizerTest {

    private static BytePairTokenizer tokenizer;
    private static List<GoldenCase> golden;

    /** One golden string: its ids with special-token parsing ({@code special}) and without ({@code plain}). */
    private record GoldenCase(String text, int[] special, int[] plain) {
    }

    @BeforeAll
    static void loadGolden() throws IOException {
        golden = readGolden();
    }

    /** Per test rather than per class, so that a missing vocabulary shows as skipped tests, not as no tests. */
    @BeforeEach
    void loadVocabulary() {
        tokenizer = Llama3Vocabulary.tokenizer();
    }

    @SuppressWarnings("unchecked")
    private static List<GoldenCase> readGolden() throws IOException {
        String json;
        try (InputStream in = Llama3TokenizerTest.class.getResourceAsStream("/tokenizer/llama3-golden.json")) {
            json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        List<GoldenCase> cases = new ArrayList<>();
        for (Object entry : (List<Object>) ((Map<String, Object>) MiniJson.parse(json)).get("cases")) {
            Map<String, Object> object = (Map<String, Object>) entry;
            cases.add(new GoldenCase((String) object.get("text"), ids(object.get("special")),
                    ids(object.get("plain"))));
        }
        return cases;
    }

    @SuppressWarnings("unchecked")
    private static int[] ids(Object array) {
        return ((List<Object>) array).stream().mapToInt(id -> ((Long) id).intValue()).toArray();
    }

    @Test
    void readsTheWholeVocabulary() {
        assertThat(tokenizer.vocabularySize()).isEqualTo(128_256);
        assertThat(tokenizer.piece(Llama3Vocabulary.BEGIN_OF_TEXT)).isEqualTo("<|begin_of_text|>");
        assertThat(tokenizer.type(Llama3Vocabulary.END_OF_TURN)).isEqualTo(TokenType.CONTROL);
        assertThat(tokenizer.piece(220)).isEqualTo("Ġ"); // a lone space, in GPT-2's byte table
        assertThat(tokenizer.type(220)).isEqualTo(TokenType.NORMAL);
        assertThat(golden).hasSizeGreaterThan(50);
    }

    @Test
    void encodesLikeTheReferenceWithSpecialTokens() {
        SoftAssertions softly = new SoftAssertions();
        for (GoldenCase c : golden) {
            softly.assertThat(tokenizer.encode(c.text(), true)).as("encode(%s, parseSpecial)", quoted(c.text()))
                    .containsExactly(c.special());
        }
        softly.assertAll();
    }

    @Test
    void encodesSpecialTokenTextAsPlainTextWithoutParsing() {
        SoftAssertions softly = new SoftAssertions();
        for (GoldenCase c : golden) {
            softly.assertThat(tokenizer.encode(c.text(), false)).as("encode(%s, plain)", quoted(c.text()))
                    .containsExactly(c.plain());
        }
        softly.assertAll();
    }

    @Test
    void decodesEncodedTextBackToTheSameString() {
        SoftAssertions softly = new SoftAssertions();
        for (GoldenCase c : golden) {
            softly.assertThat(tokenizer.decode(tokenizer.encode(c.text(), false))).as("round trip of %s",
                    quoted(c.text())).isEqualTo(c.text());
        }
        softly.assertAll();
    }

    @Test
    void parsesChatTemplateTokensAndDecodesThemAsNothing() {
        String prompt = "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>";

        int[] ids = tokenizer.encode(prompt, true);

        assertThat(ids).startsWith(Llama3Vocabulary.BEGIN_OF_TEXT, Llama3Vocabulary.START_HEADER)
                .contains(Llama3Vocabulary.END_HEADER).endsWith(Llama3Vocabulary.END_OF_TURN);
        assertThat(tokenizer.decode(ids)).isEqualTo("user\n\nHi!");
        assertThat(tokenizer.tokenBytes(Llama3Vocabulary.END_OF_TURN)).isEmpty();
        assertThat(tokenizer.encode(prompt, false)).doesNotContain(Llama3Vocabulary.BEGIN_OF_TEXT,
                Llama3Vocabulary.END_OF_TURN);
    }

    @Test
    void streamsSplitCharactersOnlyWhenComplete() {
        String text = "👋🏽 🎉 你好, 世界 ❤️";
        int[] ids = tokenizer.encode(text, false);
        // The test means something only if some token ends inside a character.
        boolean someTokenSplitsACharacter = false;
        for (int id : ids) {
            byte[] bytes = tokenizer.tokenBytes(id);
            someTokenSplitsACharacter |= Utf8.completePrefixLength(bytes) != bytes.length;
        }
        assertThat(someTokenSplitsACharacter).isTrue();

        TokenDecoder decoder = new TokenDecoder(tokenizer, true);
        StringBuilder streamed = new StringBuilder();
        for (int id : ids) {
            String piece = decoder.next(id);
            assertThat(piece).doesNotContain("\uFFFD");
            streamed.append(piece);
        }
        assertThat(decoder.flush()).isEmpty();
        assertThat(streamed.toString()).isEqualTo(text);
    }

    @Test
    void encodesLongTextQuickly() {
        StringBuilder text = new StringBuilder();
        for (GoldenCase c : golden) {
            text.append(c.text()).append('\n');
        }
        String longText = text.toString().repeat(40); // ~100k chars
        tokenizer.encode(longText, false); // warm-up

        long start = System.nanoTime();
        int[] ids = tokenizer.encode(longText, false);
        long millis = (System.nanoTime() - start) / 1_000_000;

        assertThat(tokenizer.decode(ids)).isEqualTo(longText);
        assertThat(millis).as("milliseconds to encode %d chars", longText.length()).isLessThan(2_000);
    }

    @Test
    void mergesAChunkLongerThanTheCacheHolds() {
        String digits = "9".repeat(3); // Llama 3 groups digits by three
        String word = "supercalifragilisticexpialidocious".repeat(30); // one 1,020-letter chunk

        assertThat(tokenizer.decode(tokenizer.encode(word, false))).isEqualTo(word);
        assertThat(tokenizer.encode(digits.repeat(5), false)).hasSize(5);
    }

    private static String quoted(String text) {
        return "\"" + text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + "\"";
    }
}
