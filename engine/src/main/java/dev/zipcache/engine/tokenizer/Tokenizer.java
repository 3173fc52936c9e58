package dev.zipcache.engine.tokenizer;

/**
 * Text to token ids and back, for one model's vocabulary.
 *
 * <p>{@link #encode} never adds BOS: whether to add it is the model's choice ({@link SpecialTokens#addBos()}).
 */
public sealed interface Tokenizer permits SentencePieceTokenizer, BytePairTokenizer {

    /** Tokens in the vocabulary. */
    int vocabularySize();

    /** The ids of the special tokens. */
    SpecialTokens specialTokens();

    /**
     * Encodes {@code text}.
     *
     * @param parseSpecial when true, the text of a control or user-defined token (such as {@code <|eot_id|>}) in
     *                     {@code text} becomes that token; when false it is encoded as plain text
     */
    int[] encode(String text, boolean parseSpecial);

    /**
     * The bytes token {@code id} adds to decoded text (UTF-8, possibly a fragment of a character); empty for control
     * tokens such as BOS and EOS.
     */
    byte[] tokenBytes(int id);

    /** The token's string in the vocabulary, as stored (for display and the special-token table). */
    String piece(int id);

    /** The token's kind. */
    TokenType type(int id);

    /**
     * Whether decoding should drop one leading space at the start of a text: SentencePiece vocabularies encode with a
     * dummy-prefix space that is not part of the text.
     */
    boolean stripsLeadingSpace();

    /** Decodes a whole sequence (control tokens render as nothing). */
    /**
     * Encodes a prompt the way generation sees it: the model's BOS token first when its metadata asks for one (and
     * the text does not already start with it).
     */
    default int[] encodePrompt(String text, boolean parseSpecial) {
        int[] encoded = encode(text, parseSpecial);
        SpecialTokens special = specialTokens();
        if (!special.addBos() || (encoded.length > 0 && encoded[0] == special.bos())) {
            return encoded;
        }
        int[] withBos = new int[encoded.length + 1];
        withBos[0] = special.bos();
        System.arraycopy(encoded, 0, withBos, 1, encoded.length);
        return withBos;
    }

    default String decode(int[] ids) {
        TokenDecoder decoder = new TokenDecoder(this, true);
        StringBuilder text = new StringBuilder();
        for (int id : ids) {
            text.append(decoder.next(id));
        }
        return text.append(decoder.flush()).toString();
    }
}
