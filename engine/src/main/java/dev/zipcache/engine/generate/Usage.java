package dev.zipcache.engine.generate;

/**
 * Token counts of one generation.
 *
 * @param promptTokens       tokens in the prompt (BOS included)
 * @param completionTokens   tokens generated (a stop token included, as OpenAI counts it)
 * @param cachedPromptTokens prompt tokens whose keys and values were already in the session's cache (not prefilled)
 */
public record Usage(int promptTokens, int completionTokens, int cachedPromptTokens) {

    public int totalTokens() {
        return promptTokens + completionTokens;
    }
}
