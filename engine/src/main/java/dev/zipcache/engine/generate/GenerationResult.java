package dev.zipcache.engine.generate;

import dev.zipcache.spi.KvCacheStats;

/**
 * The outcome of one generation.
 *
 * @param text                 the generated text only (without the prompt, cut before a stop string)
 * @param promptTokenIds       the prompt's tokens, BOS included
 * @param generatedTokenIds    the generated tokens, without a final stop token
 * @param finishReason         why it ended
 * @param usage                token counts
 * @param timings              prefill and decode time
 * @param cacheSpec            the KV cache's spec string
 * @param cacheStats           the KV cache after the generation
 */
public record GenerationResult(String text, int[] promptTokenIds, int[] generatedTokenIds, FinishReason finishReason,
                               Usage usage, Timings timings, String cacheSpec, KvCacheStats cacheStats) {

    public GenerationResult {
        promptTokenIds = promptTokenIds.clone();
        generatedTokenIds = generatedTokenIds.clone();
    }

    @Override
    public int[] promptTokenIds() {
        return promptTokenIds.clone();
    }

    @Override
    public int[] generatedTokenIds() {
        return generatedTokenIds.clone();
    }
}
