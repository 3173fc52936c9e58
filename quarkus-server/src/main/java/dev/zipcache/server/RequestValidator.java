package dev.zipcache.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zipcache.engine.chat.ChatMessage;
import dev.zipcache.engine.chat.ChatOptions;
import dev.zipcache.engine.generate.GenerationRequest;
import dev.zipcache.engine.sampling.SamplingParameters;
import dev.zipcache.server.api.OpenAiRequests.ChatCompletionRequest;
import dev.zipcache.server.api.OpenAiRequests.CompletionRequest;
import dev.zipcache.server.api.OpenAiRequests.Message;
import dev.zipcache.server.api.OpenAiRequests.Sampling;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Checks a request field by field and turns it into a {@link PreparedRequest}: every field is honoured or the request
 * is refused with HTTP 400 naming it (404 for a model this process does not serve).
 */
@ApplicationScoped
public class RequestValidator {

    /** OpenAI's limit on stop sequences. */
    private static final int MAX_STOP_STRINGS = 4;

    private final ServedModel served;

    public RequestValidator(ServedModel served) {
        this.served = served;
    }

    public PreparedRequest chat(ChatCompletionRequest body, long receivedNanos) {
        requireBody(body);
        checkCommon(body);
        if (body.tools() != null && !body.tools().isEmpty() || body.functions() != null && !body.functions().isEmpty()) {
            throw ApiException.invalid(body.tools() != null ? "tools" : "functions",
                    "tools and functions are not supported by this server");
        }
        if (body.toolChoice() != null && !"none".equals(body.toolChoice().asText(null))
                || body.functionCall() != null && !"none".equals(body.functionCall().asText(null))) {
            throw ApiException.invalid(body.toolChoice() != null ? "tool_choice" : "function_call",
                    "tool calls are not supported by this server; omit the field or send \"none\"");
        }
        if (Boolean.TRUE.equals(body.logprobs()) || body.topLogprobs() != null) {
            throw ApiException.invalid(body.topLogprobs() != null ? "top_logprobs" : "logprobs",
                    "logprobs are not supported by this server");
        }
        if (body.responseFormat() != null && !"text".equals(body.responseFormat().path("type").asText())) {
            throw ApiException.invalid("response_format", "only response_format {\"type\": \"text\"} is supported");
        }
        if (body.modalities() != null && !body.modalities().stream().allMatch("text"::equals)) {
            throw ApiException.invalid("modalities", "only the text modality is supported");
        }
        if (body.reasoningEffort() != null) {
            throw ApiException.invalid("reasoning_effort", "the served model is not a reasoning model");
        }
        List<ChatMessage> messages = messages(body.messages());
        int[] prompt = served.chatFormat().promptTokens(messages);
        checkContext(prompt, "messages");
        Integer requested = body.maxCompletionTokens() != null ? body.maxCompletionTokens() : body.maxTokens();
        String limitName = body.maxCompletionTokens() != null ? "max_completion_tokens" : "max_tokens";
        ChatOptions options = new ChatOptions(maxTokens(requested, limitName, prompt), sampling(body), stops(body),
                null);
        return new PreparedRequest(Endpoint.CHAT, served.chatFormat().request(prompt, options), kvCache(body),
                Boolean.TRUE.equals(body.stream()), includeUsage(body), receivedNanos);
    }

    public PreparedRequest completion(CompletionRequest body, long receivedNanos) {
        requireBody(body);
        checkCommon(body);
        if (Boolean.TRUE.equals(body.echo())) {
            throw ApiException.invalid("echo", "echo is not supported by this server");
        }
        if (body.suffix() != null && !body.suffix().isEmpty()) {
            throw ApiException.invalid("suffix", "suffix (insertion) is not supported by this server");
        }
        if (body.bestOf() != null && body.bestOf() != 1) {
            throw ApiException.invalid("best_of", "best_of must be 1 (one completion per request)");
        }
        if (body.logprobs() != null && body.logprobs() != 0) {
            throw ApiException.invalid("logprobs", "logprobs are not supported by this server");
        }
        int[] prompt = served.model().tokenizer().encodePrompt(promptText(body.prompt()), true);
        checkContext(prompt, "prompt");
        GenerationRequest request = new GenerationRequest(null, prompt, maxTokens(body.maxTokens(), "max_tokens",
                prompt), sampling(body), stops(body), Set.of(), true, null);
        return new PreparedRequest(Endpoint.COMPLETION, request, kvCache(body), Boolean.TRUE.equals(body.stream()),
                includeUsage(body), receivedNanos);
    }

    private static void requireBody(Object body) {
        if (body == null) {
            throw new ApiException(400, "invalid_request_error", null, "missing_body",
                    "send a JSON request body (Content-Type: application/json)", null);
        }
    }

    private void checkCommon(Sampling body) {
        if (body.model() != null && !body.model().equals(served.id())) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + body.model() + "' does not exist; this server serves '" + served.id() + "'",
                    null);
        }
        if (body.n() != null && body.n() != 1) {
            throw ApiException.invalid("n", "n must be 1: this server returns one choice per request");
        }
        rejectNonZero(body.presencePenalty(), "presence_penalty");
        rejectNonZero(body.frequencyPenalty(), "frequency_penalty");
        if (body.logitBias() != null && !body.logitBias().isEmpty()) {
            throw ApiException.invalid("logit_bias", "logit_bias is not supported by this server");
        }
        if (body.streamOptions() != null && !Boolean.TRUE.equals(body.stream())) {
            throw ApiException.invalid("stream_options", "stream_options is only allowed with stream: true");
        }
    }

    private static void rejectNonZero(Double value, String name) {
        if (value != null && value != 0) {
            throw ApiException.invalid(name, name + " is not supported by this server (only 0); use "
                    + "repetition_penalty instead");
        }
    }

    private static List<ChatMessage> messages(List<Message> messages) {
        if (messages == null || messages.isEmpty()) {
            throw ApiException.invalid("messages", "messages must hold at least one message");
        }
        List<ChatMessage> converted = new ArrayList<>(messages.size());
        for (int i = 0; i < messages.size(); i++) {
            Message message = messages.get(i);
            String param = "messages[" + i + "]";
            if (message == null) {
                throw ApiException.invalid(param, param + " is null");
            }
            ChatMessage.Role role = switch (message.role() == null ? "" : message.role()) {
                case "system", "developer" -> ChatMessage.Role.SYSTEM;
                case "user" -> ChatMessage.Role.USER;
                case "assistant" -> ChatMessage.Role.ASSISTANT;
                case "tool", "function" -> throw ApiException.invalid(param + ".role",
                        "tool messages are not supported by this server");
                default -> throw ApiException.invalid(param + ".role", param + ".role must be system, developer, "
                        + "user or assistant, got " + (message.role() == null ? "nothing" : "'" + message.role()
                        + "'"));
            };
            if (message.toolCalls() != null && !message.toolCalls().isEmpty()) {
                throw ApiException.invalid(param + ".tool_calls", "tool calls are not supported by this server");
            }
            converted.add(new ChatMessage(role, content(message.content(), param + ".content",
                    role == ChatMessage.Role.ASSISTANT)));
        }
        return converted;
    }

    /** A string, or a list of text parts, joined; null only for an assistant message. */
    private static String content(JsonNode content, String param, boolean mayBeNull) {
        if (content == null || content.isNull()) {
            if (mayBeNull) {
                return "";
            }
            throw ApiException.invalid(param, param + " is required");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : content) {
                if (!"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.invalid(param, "only text content parts ({\"type\": \"text\", \"text\": ...})"
                            + " are supported, got type '" + part.path("type").asText() + "'");
                }
                text.append(part.path("text").asText());
            }
            return text.toString();
        }
        throw ApiException.invalid(param, param + " must be a string or a list of text parts");
    }

    private static String promptText(JsonNode prompt) {
        if (prompt == null || prompt.isNull()) {
            throw ApiException.invalid("prompt", "prompt is required");
        }
        if (prompt.isTextual()) {
            return prompt.asText();
        }
        if (prompt.isArray() && prompt.size() == 1 && prompt.get(0).isTextual()) {
            return prompt.get(0).asText();
        }
        throw ApiException.invalid("prompt", "prompt must be a string (or a list holding one string); "
                + "token-id prompts and batches are not supported");
    }

    private void checkContext(int[] prompt, String param) {
        if (prompt.length == 0) {
            throw ApiException.invalid(param, "the " + param + " is empty and the model adds no BOS token");
        }
        if (prompt.length >= served.contextLength()) {
            throw ApiException.invalid(param, "context_length_exceeded", "This model's maximum context length is "
                    + served.contextLength() + " tokens. However, your " + param + " resulted in " + prompt.length
                    + " tokens (at least one position must remain for the answer).");
        }
    }

    /** The limit asked for, at most what fits after the prompt; without one, until the context is full. */
    private int maxTokens(Integer requested, String name, int[] prompt) {
        int room = served.contextLength() - prompt.length;
        if (requested == null) {
            return room;
        }
        if (requested < 1) {
            throw ApiException.invalid(name, name + " must be ≥ 1, got " + requested);
        }
        return Math.min(requested, room);
    }

    private static SamplingParameters sampling(Sampling body) {
        double temperature = orDefault(body.temperature(), 1.0);
        check(temperature >= 0 && temperature <= 2, "temperature", "temperature must be in [0, 2], got "
                + temperature);
        double topP = orDefault(body.topP(), 1.0);
        check(topP > 0 && topP <= 1, "top_p", "top_p must be in (0, 1], got " + topP);
        int topK = body.topK() == null ? 0 : body.topK();
        check(topK >= 0, "top_k", "top_k must be ≥ 0, got " + topK);
        double minP = orDefault(body.minP(), 0.0);
        check(minP >= 0 && minP < 1, "min_p", "min_p must be in [0, 1), got " + minP);
        double penalty = orDefault(body.repetitionPenalty(), 1.0);
        check(penalty > 0 && Double.isFinite(penalty), "repetition_penalty",
                "repetition_penalty must be > 0, got " + penalty);
        return new SamplingParameters((float) temperature, topK, (float) topP, (float) minP, (float) penalty,
                SamplingParameters.DEFAULT_REPETITION_WINDOW, SamplingParameters.seedOrRandom(body.seed()));
    }

    private static double orDefault(Double value, double fallback) {
        return value == null ? fallback : value;
    }

    private static void check(boolean condition, String param, String message) {
        if (!condition) {
            throw ApiException.invalid(param, message);
        }
    }

    private static List<String> stops(Sampling body) {
        List<String> stops = body.stop() == null ? List.of() : body.stop();
        check(stops.size() <= MAX_STOP_STRINGS, "stop", "stop takes at most " + MAX_STOP_STRINGS + " sequences, got "
                + stops.size());
        for (String stop : stops) {
            check(stop != null && !stop.isEmpty(), "stop", "a stop sequence must be a non-empty string");
        }
        return stops;
    }

    private String kvCache(Sampling body) {
        String spec = body.kvCache() == null ? served.config().kvCache() : body.kvCache();
        try {
            ServedModel.checkCacheSpec(spec);
        } catch (IllegalArgumentException unknown) {
            throw ApiException.invalid("kv_cache", "invalid_kv_cache", unknown.getMessage());
        }
        return spec;
    }

    private static boolean includeUsage(Sampling body) {
        return body.streamOptions() != null && Boolean.TRUE.equals(body.streamOptions().includeUsage());
    }
}
