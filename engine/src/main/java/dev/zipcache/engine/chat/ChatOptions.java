package dev.zipcache.engine.chat;

import dev.zipcache.engine.generate.CancellationToken;
import dev.zipcache.engine.sampling.SamplingParameters;

import java.util.List;
import java.util.Objects;

/**
 * How one answer is generated.
 *
 * @param maxTokens    the most tokens in the answer
 * @param sampling     how tokens are chosen
 * @param stopStrings  extra texts that end the answer (the template's own end-of-turn markers always do)
 * @param cancellation lets another thread stop the answer (Ctrl-C), or null
 */
public record ChatOptions(int maxTokens, SamplingParameters sampling, List<String> stopStrings,
                          CancellationToken cancellation) {

    public ChatOptions {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("max tokens per answer must be ≥ 1, got " + maxTokens);
        }
        Objects.requireNonNull(sampling, "sampling");
        stopStrings = List.copyOf(stopStrings);
    }

    /** Greedy answers of at most {@code maxTokens} tokens. */
    public static ChatOptions greedy(int maxTokens) {
        return new ChatOptions(maxTokens, SamplingParameters.GREEDY, List.of(), null);
    }

    public ChatOptions withSampling(SamplingParameters parameters) {
        return new ChatOptions(maxTokens, parameters, stopStrings, cancellation);
    }

    public ChatOptions withCancellation(CancellationToken token) {
        return new ChatOptions(maxTokens, sampling, stopStrings, token);
    }
}
