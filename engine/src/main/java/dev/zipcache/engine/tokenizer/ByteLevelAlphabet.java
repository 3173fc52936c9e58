package dev.zipcache.engine.tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * GPT-2's reversible byte-to-character table, in which byte-level BPE vocabularies (GPT-2, Llama 3, Qwen2) write their
 * tokens: every byte becomes one printable character, so that a token string never holds whitespace or control
 * characters.
 *
 * <p>The printable Latin-1 bytes ({@code !}–{@code ~}, {@code ¡}–{@code ¬}, {@code ®}–{@code ÿ}) stand for themselves;
 * the other 68 bytes, in increasing order, become U+0100, U+0101, … (so a space is {@code Ġ} U+0120 and a newline
 * {@code Ċ} U+010A). This is {@code bytes_to_unicode} of OpenAI's GPT-2 encoder, which HF tokenizers' ByteLevel and
 * llama.cpp's {@code unicode_byte_to_utf8} reproduce.
 */
final class ByteLevelAlphabet {

    private static final char[] CHARACTER_OF_BYTE = new char[256];
    /** Indexed by character; -1 for characters outside the table. The table's characters are all below U+0144. */
    private static final int[] BYTE_OF_CHARACTER = new int[0x144];

    static {
        Arrays.fill(BYTE_OF_CHARACTER, -1);
        int nextSubstitute = 0x100;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) nextSubstitute++;
            CHARACTER_OF_BYTE[b] = c;
            BYTE_OF_CHARACTER[c] = b;
        }
    }

    private ByteLevelAlphabet() {
    }

    /** The character that stands for byte {@code b} (0–255). */
    static char characterOf(int b) {
        return CHARACTER_OF_BYTE[b & 0xFF];
    }

    /** The byte that {@code c} stands for, or -1 when {@code c} is not in the table. */
    static int byteOf(char c) {
        return c < BYTE_OF_CHARACTER.length ? BYTE_OF_CHARACTER[c] : -1;
    }

    /** {@code bytes[from, to)} written in the table's characters: the form a byte-level vocabulary stores. */
    static String encode(byte[] bytes, int from, int to) {
        char[] characters = new char[to - from];
        for (int i = from; i < to; i++) {
            characters[i - from] = characterOf(bytes[i]);
        }
        return new String(characters);
    }

    /**
     * The bytes {@code token} stands for. A character outside the table (which a well-formed byte-level token does
     * not contain) contributes its own UTF-8 bytes, so that nothing is silently lost.
     */
    static byte[] decode(String token) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(token.length());
        for (int i = 0; i < token.length(); i++) {
            int b = byteOf(token.charAt(i));
            if (b >= 0) {
                bytes.write(b);
            } else {
                int codePoint = token.codePointAt(i);
                bytes.writeBytes(Character.toString(codePoint).getBytes(StandardCharsets.UTF_8));
                i += Character.charCount(codePoint) - 1;
            }
        }
        return bytes.toByteArray();
    }

    /**
     * {@code text} as UTF-8. Unlike {@link String#getBytes}, which writes {@code ?}, an unpaired surrogate becomes
     * U+FFFD, as in JavaScript's {@code TextEncoder} and Rust's lossy conversions that the reference tokenizers use.
     */
    static byte[] utf8(String text) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(text.length() + 16);
        for (int i = 0; i < text.length(); ) {
            int codePoint = text.codePointAt(i);
            i += Character.charCount(codePoint);
            if (codePoint <= 0xFFFF && Character.isSurrogate((char) codePoint)) {
                codePoint = 0xFFFD;
            }
            if (codePoint < 0x80) {
                bytes.write(codePoint);
            } else if (codePoint < 0x800) {
                bytes.write(0xC0 | codePoint >> 6);
                bytes.write(0x80 | codePoint & 0x3F);
            } else if (codePoint < 0x10000) {
                bytes.write(0xE0 | codePoint >> 12);
                bytes.write(0x80 | codePoint >> 6 & 0x3F);
                bytes.write(0x80 | codePoint & 0x3F);
            } else {
                bytes.write(0xF0 | codePoint >> 18);
                bytes.write(0x80 | codePoint >> 12 & 0x3F);
                bytes.write(0x80 | codePoint >> 6 & 0x3F);
                bytes.write(0x80 | codePoint & 0x3F);
            }
        }
        return bytes.toByteArray();
    }
}
