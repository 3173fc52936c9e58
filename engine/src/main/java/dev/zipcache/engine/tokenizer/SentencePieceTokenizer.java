package dev.zipcache.engine.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * SentencePiece-style BPE over a vocabulary with scores (llama2.c tokenizer files, GGUF
 * {@code tokenizer.ggml.model = llama}): start from characters, fall back to byte tokens for characters the
 * vocabulary lacks, and repeatedly merge the adjacent pair whose concatenation is in the vocabulary with the best
 * score (FORMATS.md §4; llama2.c {@code encode}).
 */
public final class SentencePieceTokenizer implements Tokenizer {

    /** SentencePiece's visible space, U+2581, used in GGUF vocabularies. */
    private static final char VISIBLE_SPACE = '\u2581';

    private final String[] pieces;
    private final float[] scores;
    private final TokenType[] types;
    private final SpecialTokens specialTokens;
    private final boolean addSpacePrefix;
    private final Map<String, Integer> idsByPiece;
    private final int[] byteTokens = new int[256];
    private final byte[][] bytesById;
    private final SpecialTokenSplitter specialSplitter;

    /**
     * @param pieces         token strings; a space may be written as a plain space or as U+2581
     * @param scores         merge scores, higher merges first
     * @param types          token kinds; byte tokens are named {@code <0xXX>}
     * @param addSpacePrefix whether text gets SentencePiece's dummy-prefix space
     */
    public SentencePieceTokenizer(String[] pieces, float[] scores, TokenType[] types, SpecialTokens specialTokens,
                                  boolean addSpacePrefix) {
        if (pieces.length != scores.length || pieces.length != types.length) {
            throw new IllegalArgumentException("vocabulary has " + pieces.length + " tokens but " + scores.length
                    + " scores and " + types.length + " types");
        }
        this.pieces = new String[pieces.length];
        for (int id = 0; id < pieces.length; id++) {
            this.pieces[id] = pieces[id].replace(VISIBLE_SPACE, ' ');
        }
        this.scores = scores.clone();
        this.types = types.clone();
        this.specialTokens = specialTokens;
        this.addSpacePrefix = addSpacePrefix;
        this.idsByPiece = new HashMap<>(pieces.length * 2);
        java.util.Arrays.fill(byteTokens, -1);
        this.bytesById = new byte[pieces.length][];
        for (int id = 0; id < pieces.length; id++) {
            idsByPiece.putIfAbsent(this.pieces[id], id);
            int byteValue = byteTokenValue(this.pieces[id]);
            if (byteValue >= 0 && (types[id] == TokenType.BYTE || types[id] == TokenType.NORMAL)) {
                if (byteTokens[byteValue] < 0) {
                    byteTokens[byteValue] = id;
                }
                bytesById[id] = new byte[] {(byte) byteValue};
            } else if (types[id] == TokenType.CONTROL || types[id] == TokenType.UNKNOWN
                    || types[id] == TokenType.UNUSED) {
                bytesById[id] = new byte[0];
            } else {
                bytesById[id] = this.pieces[id].getBytes(StandardCharsets.UTF_8);
            }
        }
        this.specialSplitter = SpecialTokenSplitter.of(this.pieces, types);
    }

    /** Whether {@code piece} names a byte-fallback token, {@code <0xXX>}. */
    public static boolean isBytePiece(String piece) {
        return byteTokenValue(piece) >= 0;
    }

    /** The byte a {@code <0xXX>} piece stands for, or -1. */
    static int byteTokenValue(String piece) {
        if (piece.length() == 6 && piece.startsWith("<0x") && piece.endsWith(">")) {
            try {
                return Integer.parseInt(piece.substring(3, 5), 16);
            } catch (NumberFormatException notHex) {
                return -1;
            }
        }
        return -1;
    }

    @Override
    public int vocabularySize() {
        return pieces.length;
    }

    @Override
    public SpecialTokens specialTokens() {
        return specialTokens;
    }

    @Override
    public int[] encode(String text, boolean parseSpecial) {
        List<Integer> ids = new ArrayList<>();
        boolean previousWasSpecial = true; // the text start counts as a boundary, as in llama.cpp
        for (SpecialTokenSplitter.Fragment fragment : specialSplitter.split(text, parseSpecial)) {
            if (fragment.isSpecial()) {
                ids.add(fragment.tokenId());
                previousWasSpecial = true;
                continue;
            }
            String raw = fragment.text();
            if (raw.isEmpty()) {
                continue;
            }
            encodePlain(addSpacePrefix && previousWasSpecial ? " " + raw : raw, ids);
            previousWasSpecial = false;
        }
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodePlain(String text, List<Integer> out) {
        List<Integer> symbols = new ArrayList<>(text.length());
        text.codePoints().forEach(codePoint -> {
            String character = Character.toString(codePoint);
            Integer id = idsByPiece.get(character);
            if (id != null) {
                symbols.add(id);
                return;
            }
            for (byte b : character.getBytes(StandardCharsets.UTF_8)) {
                int byteToken = byteTokens[b & 0xFF];
                if (byteToken < 0) {
                    throw new IllegalArgumentException("character U+" + Integer.toHexString(codePoint).toUpperCase()
                            + " is not in the vocabulary and the vocabulary has no byte tokens");
                }
                symbols.add(byteToken);
            }
        });
        // Greedy merging by best score; ties go to the leftmost pair (llama2.c's strict '>').
        while (true) {
            float bestScore = Float.NEGATIVE_INFINITY;
            int bestIndex = -1;
            int bestId = -1;
            for (int i = 0; i + 1 < symbols.size(); i++) {
                Integer merged = idsByPiece.get(pieces[symbols.get(i)] + pieces[symbols.get(i + 1)]);
                if (merged != null && scores[merged] > bestScore) {
                    bestScore = scores[merged];
                    bestIndex = i;
                    bestId = merged;
                }
            }
            if (bestIndex < 0) {
                break;
            }
            symbols.set(bestIndex, bestId);
            symbols.remove(bestIndex + 1);
        }
        out.addAll(symbols);
    }

    @Override
    public byte[] tokenBytes(int id) {
        return bytesById[checkId(id)].clone();
    }

    @Override
    public String piece(int id) {
        return pieces[checkId(id)];
    }

    @Override
    public TokenType type(int id) {
        return types[checkId(id)];
    }

    /** The merge score of a token. */
    public float score(int id) {
        return scores[checkId(id)];
    }

    @Override
    public boolean stripsLeadingSpace() {
        return addSpacePrefix;
    }

    private int checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary of " + pieces.length);
        }
        return id;
    }
}
