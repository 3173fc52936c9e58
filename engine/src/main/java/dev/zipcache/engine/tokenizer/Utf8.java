package dev.zipcache.engine.tokenizer;

/** UTF-8 facts the tokenizers and the streaming decoder share. */
public final class Utf8 {

    private Utf8() {
    }

    /**
     * Bytes in the character that starts with {@code lead}: 1–4, or 1 for a byte that cannot start a character (it
     * is then decoded on its own, as U+FFFD).
     */
    public static int sequenceLength(byte lead) {
        int b = lead & 0xFF;
        if (b < 0x80) {
            return 1;
        }
        if (b >= 0xF0 && b <= 0xF7) {
            return 4;
        }
        if (b >= 0xE0) {
            return b <= 0xEF ? 3 : 1;
        }
        return b >= 0xC0 ? 2 : 1;
    }

    /**
     * Length of the longest prefix of {@code bytes} that does not end inside a multi-byte character; what follows is
     * the start of a character still waiting for its continuation bytes.
     */
    public static int completePrefixLength(byte[] bytes) {
        int position = 0;
        while (position < bytes.length) {
            int length = sequenceLength(bytes[position]);
            if (position + length > bytes.length) {
                for (int next = position + 1; next < bytes.length; next++) {
                    if ((bytes[next] & 0xC0) != 0x80) {
                        return bytes.length; // broken sequence: nothing can complete it, decode it as it is
                    }
                }
                return position;
            }
            position += length;
        }
        return bytes.length;
    }
}
