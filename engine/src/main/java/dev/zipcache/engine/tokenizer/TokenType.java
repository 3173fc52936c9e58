package dev.zipcache.engine.tokenizer;

/** Token kinds as GGUF's {@code tokenizer.ggml.token_type} numbers them (FORMATS.md §4). */
public enum TokenType {
    UNDEFINED, NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE;

    /** The kind with GGUF code {@code code}; unknown codes read as {@link #NORMAL}. */
    public static TokenType ofCode(int code) {
        return code >= 0 && code < values().length ? values()[code] : NORMAL;
    }

    /** The GGUF code. */
    public int code() {
        return ordinal();
    }
}
