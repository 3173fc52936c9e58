package dev.zipcache.engine.generate;

import dev.zipcache.engine.sampling.SamplingParameters;

import java.util.List;
import java.util.Set;

/**
 * What to generate.
 *
 * @param prompt          the prompt text (tokenized with the model's tokenizer), or null when {@code promptTokens}
 *                        is given
 * @param promptTokens    the prompt as token ids (BOS not added), or null
 * @param maxTokens       the most new tokens to generate
 * @param sampling        how to choose tokens
 * @param stopStrings     generation stops before any of these appears in the text
 * @param extraStopTokens token ids that end generation besides the model's end-of-generation tokens
 * @param parseSpecial    whether special-token text in the prompt becomes special tokens
 * @param cancellation    lets another thread stop the generation, or null
 */
public record GenerationRequest(String prompt, int[] promptTokens, int maxTokens, SamplingParameters sampling,
                                List<String> stopStrings, Set<Integer> extraStopTokens, boolean parseSpecial,
                                CancellationToken cancellation) {

    public GenerationRequest {
        if ((prompt == null) == (promptTokens == null)) {
            throw new IllegalArgumentException("give either a prompt text or prompt tokens");
        }
        if (maxTokens < 0) {
            throw new IllegalArgumentException("max tokens must be ≥ 0, got " + maxTokens);
        }
        promptTokens = promptTokens == null ? null : promptTokens.clone();
        stopStrings = List.copyOf(stopStrings);
        if (stopStrings.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("a stop string must not be empty");
        }
        extraStopTokens = Set.copyOf(extraStopTokens);
    }

    /** A greedy request for {@code maxTokens} new tokens after {@code prompt}. */
    public static GenerationRequest of(String prompt, int maxTokens) {
        return new GenerationRequest(prompt, null, maxTokens, SamplingParameters.GREEDY, List.of(), Set.of(), true,
                null);
    }

    public GenerationRequest withSampling(SamplingParameters parameters) {
        return new GenerationRequest(prompt, promptTokens, maxTokens, parameters, stopStrings, extraStopTokens,
                parseSpecial, cancellation);
    }

    public GenerationRequest withStopStrings(List<String> strings) {
        return new GenerationRequest(prompt, promptTokens, maxTokens, sampling, strings, extraStopTokens,
                parseSpecial, cancellation);
    }

    public GenerationRequest withStopTokens(Set<Integer> tokens) {
        return new GenerationRequest(prompt, promptTokens, maxTokens, sampling, stopStrings, tokens, parseSpecial,
                cancellation);
    }

    public GenerationRequest withCancellation(CancellationToken token) {
        return new GenerationRequest(prompt, promptTokens, maxTokens, sampling, stopStrings, extraStopTokens,
                parseSpecial, token);
    }

    @Override
    public int[] promptTokens() {
        return promptTokens == null ? null : promptTokens.clone();
    }
}
