package dev.zipcache.server.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.quarkus.runtime.annotations.RegisterForReflection;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;

/** Response bodies in OpenAI's shapes (snake_case; null fields are written as null, as OpenAI does). */
public final class OpenAiResponses {

    private OpenAiResponses() {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @Schema(name = "ChatCompletion")
    public record ChatCompletion(String id, String object, long created, String model, String systemFingerprint,
                                 List<ChatChoice> choices, Usage usage) {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ChatChoice(int index, AssistantMessage message, Object logprobs, String finishReason) {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record AssistantMessage(String role, String content, String refusal) {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @Schema(name = "ChatCompletionChunk")
    public record ChatCompletionChunk(String id, String object, long created, String model, String systemFingerprint,
                                      List<ChunkChoice> choices, Usage usage) {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record ChunkChoice(int index, Delta delta, Object logprobs, String finishReason) {
    }

    /** The first delta carries the role, the others content; the last is empty. */
    @RegisterForReflection
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Delta(String role, String content) {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @Schema(name = "TextCompletion", description = "also the shape of each streamed chunk")
    public record TextCompletion(String id, String object, long created, String model, String systemFingerprint,
                                 List<TextChoice> choices, Usage usage) {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TextChoice(String text, int index, Object logprobs, String finishReason) {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @Schema(name = "Usage", description = "OpenAI's usage, with zipcache's kv_cache object")
    public record Usage(int promptTokens, int completionTokens, int totalTokens,
                        PromptTokensDetails promptTokensDetails, KvCacheUsage kvCache) {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record PromptTokensDetails(int cachedTokens) {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @Schema(name = "KvCacheUsage", description = "the request's KV cache after the answer: its spec, bytes used, "
            + "the bytes an fp16 cache would use and the ratio of the two")
    public record KvCacheUsage(String spec, long bytes, long fp16Bytes, double compressionRatio) {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @Schema(name = "Model")
    public record ModelCard(String id, String object, long created, String ownedBy) {
    }

    @RegisterForReflection
    @Schema(name = "ModelList")
    public record ModelList(String object, List<ModelCard> data) {
    }

    @RegisterForReflection
    @Schema(name = "ErrorResponse")
    public record ErrorResponse(ErrorDetail error) {
    }

    @RegisterForReflection
    public record ErrorDetail(String message, String type, String param, String code) {
    }
}
