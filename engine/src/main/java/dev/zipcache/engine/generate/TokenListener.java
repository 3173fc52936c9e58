package dev.zipcache.engine.generate;

/** Receives generated text as it is produced (streaming). */
@FunctionalInterface
public interface TokenListener {

    /**
     * Called once per generated token that is part of the answer.
     *
     * @param tokenId the token
     * @param text    the text that became final with it: possibly empty (half a character, or text held back
     *                because it may begin a stop string) or several tokens' worth
     */
    void onToken(int tokenId, String text);

    /** A listener that ignores everything. */
    TokenListener NONE = (tokenId, text) -> { };
}
