package dev.zipcache.engine.model;

/** A model file cannot be loaded; the message says why in terms a user can act on. */
public final class ModelLoadException extends RuntimeException {

    public ModelLoadException(String message) {
        super(message);
    }

    public ModelLoadException(String message, Throwable cause) {
        super(message, cause);
    }
}
