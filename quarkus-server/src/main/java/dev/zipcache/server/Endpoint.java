package dev.zipcache.server;

/** The two generating endpoints; they differ in the prompt and in the response's shape. */
public enum Endpoint {
    CHAT("chat.completion", "chatcmpl-"),
    COMPLETION("text_completion", "cmpl-");

    private final String object;
    private final String idPrefix;

    Endpoint(String object, String idPrefix) {
        this.object = object;
        this.idPrefix = idPrefix;
    }

    /** OpenAI's {@code object} of a whole response. */
    public String object() {
        return object;
    }

    /** OpenAI's {@code object} of a streamed chunk. */
    public String chunkObject() {
        return this == CHAT ? "chat.completion.chunk" : "text_completion";
    }

    public String idPrefix() {
        return idPrefix;
    }

    /** The metric tag. */
    public String tag() {
        return this == CHAT ? "chat" : "completions";
    }
}
