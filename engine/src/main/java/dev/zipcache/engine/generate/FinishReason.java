package dev.zipcache.engine.generate;

/** Why generation ended. */
public enum FinishReason {
    /** An end-of-generation token or a stop string. */
    STOP,
    /** The token limit, or the context is full. */
    LENGTH,
    /** The caller cancelled. */
    CANCELLED
}
