package dev.zipcache.server.api;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.quarkus.runtime.annotations.RegisterForReflection;
import org.eclipse.microprofile.openapi.annotations.media.Schema;

import java.util.List;
import java.util.Map;

/**
 * Request bodies with OpenAI's field names (snake_case). Every field OpenAI defines for these endpoints is known
 * here, so that a client's request is either honoured or rejected with a message naming the field; a field OpenAI
 * does not define is rejected as unknown. Extensions: {@code kv_cache}, {@code top_k}, {@code min_p},
 * {@code repetition_penalty}.
 */
public final class OpenAiRequests {

    private OpenAiRequests() {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @Schema(name = "StreamOptions")
    public record StreamOptions(Boolean includeUsage, Boolean includeObfuscation) {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @Schema(name = "ChatMessage", description = "content is a string or a list of {type: text, text} parts")
    public record Message(String role, JsonNode content, String name, JsonNode toolCalls, String toolCallId,
                          String refusal) {
    }

    /** The sampling and extension fields both endpoints share. */
    public interface Sampling {
        Double temperature();

        Double topP();

        Long seed();

        Integer topK();

        Double minP();

        Double repetitionPenalty();

        Double presencePenalty();

        Double frequencyPenalty();

        Map<String, Object> logitBias();

        Integer n();

        List<String> stop();

        Boolean stream();

        StreamOptions streamOptions();

        String model();

        String kvCache();
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @Schema(name = "ChatCompletionRequest")
    public record ChatCompletionRequest(
            String model,
            List<Message> messages,
            Integer maxTokens,
            Integer maxCompletionTokens,
            Double temperature,
            Double topP,
            Integer n,
            Long seed,
            @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> stop,
            Boolean stream,
            StreamOptions streamOptions,
            Double presencePenalty,
            Double frequencyPenalty,
            Map<String, Object> logitBias,
            Boolean logprobs,
            Integer topLogprobs,
            List<JsonNode> tools,
            JsonNode toolChoice,
            Boolean parallelToolCalls,
            List<JsonNode> functions,
            JsonNode functionCall,
            JsonNode responseFormat,
            List<String> modalities,
            String user,
            Map<String, String> metadata,
            Boolean store,
            String serviceTier,
            String reasoningEffort,
            String promptCacheKey,
            String safetyIdentifier,
            @Schema(description = "zipcache: the KV cache spec, e.g. zipcache, fp16, kivi:bits=2") String kvCache,
            @Schema(description = "zipcache: keep the k most likely tokens (0 = all)") Integer topK,
            @Schema(description = "zipcache: drop tokens less likely than min_p × the most likely") Double minP,
            @Schema(description = "zipcache: penalty on the last 64 tokens (1 = off)") Double repetitionPenalty)
            implements Sampling {
    }

    @RegisterForReflection
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    @Schema(name = "CompletionRequest")
    public record CompletionRequest(
            String model,
            @Schema(description = "a string, or a list holding one string") JsonNode prompt,
            Integer maxTokens,
            Double temperature,
            Double topP,
            Integer n,
            Long seed,
            @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> stop,
            Boolean stream,
            StreamOptions streamOptions,
            Double presencePenalty,
            Double frequencyPenalty,
            Map<String, Object> logitBias,
            Integer logprobs,
            Boolean echo,
            String suffix,
            Integer bestOf,
            String user,
            @Schema(description = "zipcache: the KV cache spec, e.g. zipcache, fp16, kivi:bits=2") String kvCache,
            @Schema(description = "zipcache: keep the k most likely tokens (0 = all)") Integer topK,
            @Schema(description = "zipcache: drop tokens less likely than min_p × the most likely") Double minP,
            @Schema(description = "zipcache: penalty on the last 64 tokens (1 = off)") Double repetitionPenalty)
            implements Sampling {
    }
}
