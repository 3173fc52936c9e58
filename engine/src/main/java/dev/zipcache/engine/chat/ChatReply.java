package dev.zipcache.engine.chat;

import dev.zipcache.engine.generate.GenerationResult;

/**
 * The assistant's answer to one user message.
 *
 * @param text            the answer, as added to the history
 * @param result          the generation behind it: finish reason, usage (cached prompt tokens), timings, KV cache
 * @param droppedMessages how many of the oldest messages were dropped from the history to make room (see
 *                        {@link ChatSession})
 */
public record ChatReply(String text, GenerationResult result, int droppedMessages) {
}
