package dev.zipcache.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Incremental detokenization for streaming: turns token ids into text one at a time and never emits half of a
 * multi-byte UTF-8 character; the bytes of an unfinished character wait for the next token.
 */
public final class TokenDecoder {

    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private boolean atTextStart;

    /**
     * @param atTextStart true when the first decoded token starts the text, so that a SentencePiece dummy-prefix space
     *                    is dropped; false when continuing text that already started (generated tokens after a prompt)
     */
    public TokenDecoder(Tokenizer tokenizer, boolean atTextStart) {
        this.tokenizer = tokenizer;
        this.atTextStart = atTextStart;
    }

    /** Adds one token and returns the text that is now complete (possibly empty). */
    public String next(int id) {
        byte[] bytes = tokenizer.tokenBytes(id);
        int start = 0;
        if (atTextStart && bytes.length > 0) {
            atTextStart = false;
            if (tokenizer.stripsLeadingSpace() && bytes[0] == ' ') {
                start = 1;
            }
        }
        pending.write(bytes, start, bytes.length - start);
        return drainComplete();
    }

    /** Returns what is left, with an unfinished character replaced by U+FFFD. */
    public String flush() {
        String rest = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return rest;
    }

    private String drainComplete() {
        byte[] buffered = pending.toByteArray();
        int complete = Utf8.completePrefixLength(buffered);
        if (complete == 0) {
            return "";
        }
        pending.reset();
        pending.write(buffered, complete, buffered.length - complete);
        return new String(buffered, 0, complete, StandardCharsets.UTF_8);
    }
}
