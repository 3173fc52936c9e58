package dev.zipcache.engine.tokenizer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The merge logic on a hand-made vocabulary: always runs, needs no download. */
class BytePairTokenizerTest {

    // Ids 0–255 are the single bytes (id = byte value), in GPT-2's byte table; the merged tokens follow.
    private static final int SPACE = ' ';
    private static final int A = 'a', B = 'b', C = 'c', D = 'd';
    private static final int BC = 256, AB = 257, ABC = 258, AA = 259, SPACE_A = 260, E_ACUTE = 261, CD = 262;
    private static final int END = 263, TOOL = 264, END_PREFIX = 265;

    private static final String[] MERGES = {
        "b c",      // rank 0 → bc
        "a b",      // rank 1 → ab
        "a bc",     // rank 2 → abc
        "a a",      // rank 3 → aa
        "Ġ a",      // rank 4 → Ġa (a space is Ġ in the byte table)
        "Ã ©",      // rank 5 → é (UTF-8 C3 A9)
        "x yz",     // rank 6: "yz" is no token, so the merge is skipped
        "b c",      // rank 7: a duplicate, never applies
    };

    private static BytePairTokenizer tokenizer(PreTokenizer preTokenizer) {
        List<String> tokens = new ArrayList<>();
        List<TokenType> types = new ArrayList<>();
        for (int b = 0; b < 256; b++) {
            tokens.add(String.valueOf(ByteLevelAlphabet.characterOf(b)));
            types.add(TokenType.NORMAL);
        }
        // "cd" is reachable only as a whole chunk: no merge builds it.
        for (String token : List.of("bc", "ab", "abc", "aa", "Ġa", "Ã©", "cd")) {
            tokens.add(token);
            types.add(TokenType.NORMAL);
        }
        tokens.add("<|end|>");
        types.add(TokenType.CONTROL);
        tokens.add("<tool>");
        types.add(TokenType.USER_DEFINED);
        tokens.add("<|e");
        types.add(TokenType.USER_DEFINED);
        return new BytePairTokenizer(tokens.toArray(String[]::new), types.toArray(TokenType[]::new), MERGES,
                preTokenizer, new SpecialTokens(-1, END, false, Set.of(END)));
    }

    private static final BytePairTokenizer GPT2 = tokenizer(PreTokenizer.GPT2);
    private static final BytePairTokenizer LLAMA3 = tokenizer(PreTokenizer.LLAMA3);

    @Test
    void mergesTheLowestRankedPairFirst() {
        // "b c" (rank 0) beats "a b" (rank 1); then "a bc" applies. Merging "a b" first would strand "ab c".
        assertThat(GPT2.encode("abc", false)).containsExactly(ABC);
        assertThat(GPT2.encode("abd", false)).containsExactly(AB, D);
    }

    @Test
    void mergesTheLeftmostOfEqualPairsFirst() {
        assertThat(GPT2.encode("aaa", false)).containsExactly(AA, A);
        assertThat(GPT2.encode("aaaa", false)).containsExactly(AA, AA);
    }

    @Test
    void reconsidersNeighboursAfterEachMerge() {
        // Ġ a b c: "b c" first, then "a bc" (rank 2) beats "Ġ a" (rank 4), leaving a space and abc.
        assertThat(GPT2.encode(" abc", false)).containsExactly(SPACE, ABC);
        assertThat(GPT2.encode(" aa", false)).containsExactly(SPACE, AA); // "a a" is rank 3, "Ġ a" rank 4
        assertThat(GPT2.encode(" ad", false)).containsExactly(SPACE_A, D);
    }

    @Test
    void neverMergesAcrossPreTokenizerChunks() {
        // "b" and " c" are separate chunks, so the rank-0 merge "b c" cannot join them.
        assertThat(GPT2.encode("b c", false)).containsExactly(B, SPACE, C);
        assertThat(GPT2.encode("ab ab", false)).containsExactly(AB, SPACE, AB);
    }

    @Test
    void mergesMultiByteCharactersFromTheirBytes() {
        assertThat(GPT2.encode("é", false)).containsExactly(E_ACUTE);
        assertThat(GPT2.tokenBytes(E_ACUTE)).containsExactly(0xC3, 0xA9);
        assertThat(GPT2.tokenBytes(0xC3)).containsExactly(0xC3); // half a character
        assertThat(GPT2.encode("ü", false)).containsExactly(0xC3, 0xBC); // no merge: byte tokens
    }

    @Test
    void takesAWholeChunkFromTheVocabularyOnlyWhenThePreTokenizerIgnoresMerges() {
        assertThat(LLAMA3.encode("cd", false)).containsExactly(CD);
        assertThat(GPT2.encode("cd", false)).containsExactly(C, D);
    }

    @Test
    void cutsOutSpecialTokensLongestFirstOnlyWhenAsked() {
        assertThat(GPT2.encode("a<|end|>b<tool>", true)).containsExactly(A, END, B, TOOL);
        assertThat(GPT2.encode("<|e<|end|>", true)).containsExactly(END_PREFIX, END);
        assertThat(GPT2.encode("<tool>", false)).containsExactly('<', 't', 'o', 'o', 'l', '>');
        assertThat(GPT2.encode("", true)).isEmpty();
    }

    @Test
    void tokenBytesDecodeTheByteTableAndDropControlTokens() {
        assertThat(GPT2.tokenBytes(SPACE_A)).isEqualTo(" a".getBytes(StandardCharsets.UTF_8));
        assertThat(GPT2.tokenBytes(END)).isEmpty();
        assertThat(GPT2.tokenBytes(TOOL)).isEqualTo("<tool>".getBytes(StandardCharsets.UTF_8));
        assertThat(GPT2.piece(SPACE_A)).isEqualTo("Ġa");
        assertThat(GPT2.type(END)).isEqualTo(TokenType.CONTROL);
        assertThat(GPT2.stripsLeadingSpace()).isFalse();
        assertThat(GPT2.vocabularySize()).isEqualTo(266);
    }

    @Test
    void roundTripsTextThroughDecode() {
        String text = " abc\n\té aaa  üd";
        assertThat(GPT2.decode(GPT2.encode(text, false))).isEqualTo(text);
        assertThat(GPT2.decode(GPT2.encode("x<|end|>y", true))).isEqualTo("xy");
    }

    @Test
    void rejectsTextWithAByteThatNoTokenCovers() {
        BytePairTokenizer tiny = new BytePairTokenizer(new String[] {"a", "b"},
                new TokenType[] {TokenType.NORMAL, TokenType.NORMAL}, new String[0], PreTokenizer.GPT2,
                new SpecialTokens(-1, -1, false, Set.of()));

        assertThat(tiny.encode("ab", false)).containsExactly(0, 1);
        assertThatIllegalArgumentException().isThrownBy(() -> tiny.encode("abc", false))
                .withMessageContaining("0x63");
    }

    @Test
    void rejectsMalformedVocabularies() {
        SpecialTokens none = new SpecialTokens(-1, -1, false, Set.of());
        assertThatIllegalArgumentException().isThrownBy(() -> new BytePairTokenizer(new String[] {"a"},
                new TokenType[0], new String[0], PreTokenizer.GPT2, none)).withMessageContaining("token types");
        assertThatIllegalArgumentException().isThrownBy(() -> new BytePairTokenizer(new String[] {"a"},
                new TokenType[] {TokenType.NORMAL}, new String[] {"ab"}, PreTokenizer.GPT2, none))
                .withMessageContaining("merge 0");
    }

    @Test
    void byteTableIsGpt2s() {
        Set<Character> characters = new HashSet<>();
        for (int b = 0; b < 256; b++) {
            char c = ByteLevelAlphabet.characterOf(b);
            characters.add(c);
            assertThat(ByteLevelAlphabet.byteOf(c)).isEqualTo(b);
        }
        assertThat(characters).hasSize(256);
        assertThat(ByteLevelAlphabet.characterOf(' ')).isEqualTo('Ġ');
        assertThat(ByteLevelAlphabet.characterOf('\n')).isEqualTo('Ċ');
        assertThat(ByteLevelAlphabet.characterOf('!')).isEqualTo('!');
        assertThat(ByteLevelAlphabet.characterOf(0xAD)).isEqualTo('Ń'); // soft hyphen is not printable
        assertThat(ByteLevelAlphabet.byteOf('€')).isEqualTo(-1);
    }
}
