package dev.zipcache.server;

import dev.zipcache.engine.generate.GenerationRequest;

/**
 * A checked request, ready to run.
 *
 * @param endpoint     which endpoint it came from
 * @param request      what to generate (prompt tokens, limits, sampling, stops), without a cancellation token
 * @param kvCache      the KV cache spec (already checked)
 * @param stream       whether the answer streams as server-sent events
 * @param includeUsage whether a stream ends with a usage chunk ({@code stream_options.include_usage})
 * @param receivedNanos when the request arrived ({@link System#nanoTime()}), for time to first token
 */
public record PreparedRequest(Endpoint endpoint, GenerationRequest request, String kvCache, boolean stream,
                              boolean includeUsage, long receivedNanos) {
}
