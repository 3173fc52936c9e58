package dev.zipcache.engine.generate;

/** A prompt does not fit the model's context. */
public final class ContextOverflowException extends IllegalArgumentException {

    public ContextOverflowException(int promptTokens, int contextLength) {
        super("prompt of " + promptTokens + " tokens does not fit the model's context of " + contextLength
                + " tokens (at least one position must remain for the answer)");
    }
}
