package dev.zipcache.engine.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Splits text at the strings of control and user-defined tokens (longest first), so that a prompt may contain
 * {@code <|eot_id|>} and get that token rather than its characters. Shared by both tokenizers.
 */
final class SpecialTokenSplitter {

    /** A piece of text to tokenize normally, or one special token. */
    record Fragment(String text, int tokenId) {
        boolean isSpecial() {
            return tokenId >= 0;
        }
    }

    private final List<String> strings;
    private final List<Integer> ids;

    private SpecialTokenSplitter(List<String> strings, List<Integer> ids) {
        this.strings = strings;
        this.ids = ids;
    }

    static SpecialTokenSplitter of(String[] pieces, TokenType[] types) {
        List<Integer> order = new ArrayList<>();
        for (int id = 0; id < pieces.length; id++) {
            boolean special = types[id] == TokenType.CONTROL || types[id] == TokenType.USER_DEFINED;
            if (special && !pieces[id].isEmpty()) {
                order.add(id);
            }
        }
        order.sort(Comparator.comparingInt((Integer id) -> -pieces[id].length()).thenComparingInt(id -> id));
        return new SpecialTokenSplitter(order.stream().map(id -> pieces[id]).toList(), List.copyOf(order));
    }

    List<Fragment> split(String text, boolean parseSpecial) {
        if (!parseSpecial || strings.isEmpty()) {
            return List.of(new Fragment(text, -1));
        }
        List<Fragment> fragments = new ArrayList<>();
        int plainStart = 0;
        int position = 0;
        outer:
        while (position < text.length()) {
            for (int k = 0; k < strings.size(); k++) {
                if (text.startsWith(strings.get(k), position)) {
                    if (position > plainStart) {
                        fragments.add(new Fragment(text.substring(plainStart, position), -1));
                    }
                    fragments.add(new Fragment(strings.get(k), ids.get(k)));
                    position += strings.get(k).length();
                    plainStart = position;
                    continue outer;
                }
            }
            position++;
        }
        if (plainStart < text.length()) {
            fragments.add(new Fragment(text.substring(plainStart), -1));
        }
        return fragments;
    }
}
