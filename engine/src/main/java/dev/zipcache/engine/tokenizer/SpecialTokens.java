package dev.zipcache.engine.tokenizer;

import java.util.Set;

/**
 * The special token ids of a vocabulary.
 *
 * @param bos             beginning of sequence, or -1
 * @param eos             end of sequence, or -1
 * @param addBos          whether prompts start with BOS
 * @param endOfGeneration every id that ends generation (EOS, end-of-turn tokens, ...)
 */
public record SpecialTokens(int bos, int eos, boolean addBos, Set<Integer> endOfGeneration) {

    public SpecialTokens {
        endOfGeneration = Set.copyOf(endOfGeneration);
    }
}
