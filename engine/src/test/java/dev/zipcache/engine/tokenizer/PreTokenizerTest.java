package dev.zipcache.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.Random;
import org.junit.jupiter.api.Test;

class PreTokenizerTest {

    @Test
    void llama3GroupsDigitsByThreeQwen2SplitsEachDigitGpt2KeepsRuns() {
        assertThat(PreTokenizer.LLAMA3.split("12345 and 1234567"))
                .containsExactly("123", "45", " and", " ", "123", "456", "7");
        assertThat(PreTokenizer.QWEN2.split("12345")).containsExactly("1", "2", "3", "4", "5");
        assertThat(PreTokenizer.GPT2.split("12345 and 1234567")).containsExactly("12345", " and", " 1234567");
    }

    @Test
    void llama3ContractionsIgnoreCaseGpt2OnlyLowerCase() {
        assertThat(PreTokenizer.LLAMA3.split("I'm WE'LL")).containsExactly("I", "'m", " WE", "'LL");
        assertThat(PreTokenizer.QWEN2.split("they'VE")).containsExactly("they", "'VE");
        assertThat(PreTokenizer.GPT2.split("I'm WE'LL")).containsExactly("I", "'m", " WE", "'", "LL");
    }

    @Test
    void whitespaceRunsLeaveTheirLastSpaceToTheNextWord() {
        for (PreTokenizer preTokenizer : PreTokenizer.values()) {
            assertThat(preTokenizer.split("a   b")).as(preTokenizer.name()).containsExactly("a", "  ", " b");
            assertThat(preTokenizer.split("end  ")).as(preTokenizer.name()).containsExactly("end", "  ");
        }
    }

    @Test
    void llama3KeepsNewlineRunsAndPunctuationWithItsNewlines() {
        assertThat(PreTokenizer.LLAMA3.split("a\n\n\tc  ")).containsExactly("a", "\n\n", "\tc", "  ");
        assertThat(PreTokenizer.LLAMA3.split("!!!...\n\nx")).containsExactly("!!!...\n\n", "x");
        assertThat(PreTokenizer.LLAMA3.split("x  \n  y")).containsExactly("x", "  \n", " ", " y");
    }

    @Test
    void whitespaceIsUnicodeWhiteSpaceAndClassesMatchWholeCodePoints() {
        // With Java's default ASCII \s, the ideographic spaces would fall into the punctuation alternative.
        assertThat(PreTokenizer.LLAMA3.split("a\u3000\u3000b")).containsExactly("a", "\u3000", "\u3000b");
        // The emoji (a surrogate pair) is the one optional non-letter in front of the letters.
        assertThat(PreTokenizer.LLAMA3.split("a👋b")).containsExactly("a", "👋b");
    }

    @Test
    void chunksConcatenateToTheText() {
        int[] alphabet = "aZé7٣½ \n\r\t\u00a0'!.中😀\u0301".codePoints().toArray();
        Random random = new Random(42);
        for (int i = 0; i < 200; i++) {
            StringBuilder text = new StringBuilder();
            for (int j = random.nextInt(30); j > 0; j--) {
                text.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
            }
            for (PreTokenizer preTokenizer : PreTokenizer.values()) {
                assertThat(String.join("", preTokenizer.split(text.toString()))).isEqualTo(text.toString());
            }
        }
    }

    @Test
    void findsPreTokenizersByTheirGgufNames() {
        assertThat(PreTokenizer.forName("llama-bpe")).isEqualTo(PreTokenizer.LLAMA3);
        assertThat(PreTokenizer.forName("LLAMA3")).isEqualTo(PreTokenizer.LLAMA3);
        assertThat(PreTokenizer.forName("llama-v3")).isEqualTo(PreTokenizer.LLAMA3);
        assertThat(PreTokenizer.forName("qwen2")).isEqualTo(PreTokenizer.QWEN2);
        assertThat(PreTokenizer.forName("gpt2")).isEqualTo(PreTokenizer.GPT2);
        assertThat(PreTokenizer.forName("gpt-2")).isEqualTo(PreTokenizer.GPT2);
        assertThat(PreTokenizer.forName("default")).isEqualTo(PreTokenizer.GPT2);
        assertThat(PreTokenizer.LLAMA3.ignoresMerges()).isTrue();
        assertThat(PreTokenizer.QWEN2.ignoresMerges()).isFalse();
    }

    @Test
    void rejectsAnUnknownNameListingTheSupportedOnes() {
        assertThatIllegalArgumentException().isThrownBy(() -> PreTokenizer.forName("tekken"))
                .withMessageContaining("'tekken'").withMessageContaining("llama-bpe").withMessageContaining("qwen2")
                .withMessageContaining("gpt2");
    }
}
