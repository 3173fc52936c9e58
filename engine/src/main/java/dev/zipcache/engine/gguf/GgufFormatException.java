package dev.zipcache.engine.gguf;

/** A GGUF file is malformed, truncated or uses something zipcache does not read. */
public final class GgufFormatException extends IllegalArgumentException {

    public GgufFormatException(String message) {
        super(message);
    }
}
