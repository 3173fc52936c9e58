package dev.zipcache.engine.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Splits text at the strings of control and user-defined tokens, so that a prompt may contain {@code <|eot_id|>} and
 * get that token rather than its characters. Matches are found leftmost first, and the longest where several start
 * at the same place. Shared by both tokenizers.
 */
final class SpecialTokenSplitter {

    /** A stretch of text to tokenize normally, or one special token. */
    record Fragment(String text, int tokenId) {
        boolean isSpecial() {
            return tokenId >= 0;
        }
    }

    private record SpecialText(String text, int id) {
    }

    /** Candidates by first character, longest first: a lookup per text position stays cheap with 256 specials. */
    private final Map<Character, SpecialText[]> byFirstCharacter;

    private SpecialTokenSplitter(Map<Character, SpecialText[]> byFirstCharacter) {
        this.byFirstCharacter = byFirstCharacter;
    }

    static SpecialTokenSplitter of(String[] pieces, TokenType[] types) {
        Map<Character, List<SpecialText>> grouped = new HashMap<>();
        for (int id = 0; id < pieces.length; id++) {
            boolean special = types[id] == TokenType.CONTROL || types[id] == TokenType.USER_DEFINED;
            if (special && !pieces[id].isEmpty()) {
                grouped.computeIfAbsent(pieces[id].charAt(0), c -> new ArrayList<>())
                        .add(new SpecialText(pieces[id], id));
            }
        }
        Comparator<SpecialText> longestFirst = Comparator.comparingInt((SpecialText s) -> -s.text().length())
                .thenComparingInt(SpecialText::id);
        Map<Character, SpecialText[]> index = new HashMap<>();
        grouped.forEach((first, texts) -> index.put(first, texts.stream().sorted(longestFirst)
                .toArray(SpecialText[]::new)));
        return new SpecialTokenSplitter(Map.copyOf(index));
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        if (!parseSpecial || byFirstCharacter.isEmpty()) {
            return List.of(new Fragment(text, -1));
        }
        List<Fragment> fragments = new ArrayList<>();
        int plainStart = 0;
        int position = 0;
        while (position < text.length()) {
            SpecialText special = specialAt(text, position);
            if (special == null) {
                position++;
                continue;
            }
            if (position > plainStart) {
                fragments.add(new Fragment(text.substring(plainStart, position), -1));
            }
            fragments.add(new Fragment(special.text(), special.id()));
            position += special.text().length();
            plainStart = position;
        }
        if (plainStart < text.length() || fragments.isEmpty()) {
            fragments.add(new Fragment(text.substring(plainStart), -1));
        }
        return fragments;
    }

    private SpecialText specialAt(String text, int position) {
        SpecialText[] candidates = byFirstCharacter.get(text.charAt(position));
        if (candidates != null) {
            for (SpecialText candidate : candidates) {
                if (text.startsWith(candidate.text(), position)) {
                    return candidate;
                }
            }
        }
        return null;
    }
}
