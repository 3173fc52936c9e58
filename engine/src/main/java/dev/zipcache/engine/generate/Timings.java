package dev.zipcache.engine.generate;

/**
 * Wall-clock time of one generation. The prefill ends when the first new token's logits are known; decoding covers
 * the forward passes of the generated tokens after it.
 *
 * @param prefillNanos    time to run the (uncached) prompt tokens
 * @param prefilledTokens prompt tokens actually run
 * @param decodeNanos     time of the decode forward passes
 * @param decodedTokens   decode forward passes
 */
public record Timings(long prefillNanos, int prefilledTokens, long decodeNanos, int decodedTokens) {

    public double prefillMillis() {
        return prefillNanos / 1e6;
    }

    public double decodeMillis() {
        return decodeNanos / 1e6;
    }

    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : prefilledTokens * 1e9 / prefillNanos;
    }

    public double decodeTokensPerSecond() {
        return decodeNanos == 0 ? 0 : decodedTokens * 1e9 / decodeNanos;
    }
}
