package dev.zipcache.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zipcache.engine.generate.CancellationToken;
import dev.zipcache.engine.generate.ContextOverflowException;
import dev.zipcache.engine.generate.FinishReason;
import dev.zipcache.engine.generate.GenerationRequest;
import dev.zipcache.engine.generate.GenerationResult;
import dev.zipcache.engine.generate.SessionPool;
import dev.zipcache.engine.generate.TokenListener;
import dev.zipcache.server.api.OpenAiResponses.AssistantMessage;
import dev.zipcache.server.api.OpenAiResponses.ChatChoice;
import dev.zipcache.server.api.OpenAiResponses.ChatCompletion;
import dev.zipcache.server.api.OpenAiResponses.ChatCompletionChunk;
import dev.zipcache.server.api.OpenAiResponses.ChunkChoice;
import dev.zipcache.server.api.OpenAiResponses.Delta;
import dev.zipcache.server.api.OpenAiResponses.ErrorDetail;
import dev.zipcache.server.api.OpenAiResponses.ErrorResponse;
import dev.zipcache.server.api.OpenAiResponses.KvCacheUsage;
import dev.zipcache.server.api.OpenAiResponses.PromptTokensDetails;
import dev.zipcache.server.api.OpenAiResponses.TextChoice;
import dev.zipcache.server.api.OpenAiResponses.TextCompletion;
import dev.zipcache.server.api.OpenAiResponses.Usage;
import dev.zipcache.spi.KvCacheStats;
import io.vertx.core.http.HttpServerResponse;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import org.jboss.logging.Logger;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Runs prepared requests on the session pool and answers in OpenAI's shapes: one JSON body, or server-sent events
 * ({@code data: {chunk}} lines ending with {@code data: [DONE]}). Generation runs on the request's worker thread; a
 * client that goes away cancels its generation at the next token, which gives the session back.
 */
@ApplicationScoped
public class Generations {

    private static final Logger LOG = Logger.getLogger(Generations.class);
    static final MediaType EVENT_STREAM = MediaType.valueOf("text/event-stream");

    private final ServedModel served;
    private final ServerMetrics metrics;
    private final ObjectMapper json;

    public Generations(ServedModel served, ServerMetrics metrics, ObjectMapper json) {
        this.served = served;
        this.metrics = metrics;
        this.json = json;
    }

    public Response respond(PreparedRequest prepared, HttpServerResponse http) {
        CancellationToken cancellation = new CancellationToken();
        GenerationRequest request = prepared.request().withCancellation(cancellation);
        SessionPool.Lease lease = acquire(prepared, request);
        Answer answer = new Answer(prepared, served.id());
        if (!prepared.stream()) {
            GenerationResult result = run(lease, request, prepared, (token, text) -> {
                answer.firstToken();
                if (http.closed()) {
                    cancellation.cancel();
                }
            }, answer);
            return Response.ok(answer.whole(result), MediaType.APPLICATION_JSON_TYPE).build();
        }
        StreamingOutput events = out -> stream(prepared, request, cancellation, lease, answer,
                new EventWriter(out, http, cancellation));
        return Response.ok(events, EVENT_STREAM).header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no").build();
    }

    private SessionPool.Lease acquire(PreparedRequest prepared, GenerationRequest request) {
        try {
            return served.pool().acquire(prepared.kvCache(), request.promptTokens(), served.config().maxQueue());
        } catch (SessionPool.SaturatedException full) {
            metrics.rejected(prepared.endpoint(), "queue_full");
            throw new ApiException(429, "rate_limit_error", null, "queue_full", "The server is busy: " + full.getMessage()
                    + ". Retry after " + served.config().retryAfterSeconds() + " s.",
                    served.config().retryAfterSeconds());
        } catch (IllegalArgumentException badSpec) {
            metrics.rejected(prepared.endpoint(), "invalid");
            throw ApiException.invalid("kv_cache", "invalid_kv_cache", badSpec.getMessage());
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            throw new ApiException(503, "server_error", null, "shutting_down", "the server is shutting down", null);
        } catch (IllegalStateException closed) {
            throw new ApiException(503, "server_error", null, "shutting_down", "the server is shutting down", null);
        }
    }

    /** Generates on the lent session and gives it back (closing it after a failure that may have broken it). */
    private GenerationResult run(SessionPool.Lease lease, GenerationRequest request, PreparedRequest prepared,
                                 TokenListener listener, Answer answer) {
        GenerationResult result;
        try {
            result = lease.session().generate(request, listener);
        } catch (ContextOverflowException tooLong) {
            lease.close();
            metrics.rejected(prepared.endpoint(), "invalid");
            throw ApiException.invalid(prepared.endpoint() == Endpoint.CHAT ? "messages" : "prompt",
                    "context_length_exceeded", tooLong.getMessage());
        } catch (RuntimeException failure) {
            lease.discard();
            throw failure;
        }
        lease.close();
        metrics.finished(prepared.endpoint(), result, answer.timeToFirstTokenNanos());
        return result;
    }

    private void stream(PreparedRequest prepared, GenerationRequest request, CancellationToken cancellation,
                        SessionPool.Lease lease, Answer answer, EventWriter events) {
        if (events.clientGone()) {
            // It left while waiting in the queue: no prefill for no one.
            lease.close();
            return;
        }
        try {
            if (prepared.endpoint() == Endpoint.CHAT) {
                events.send(answer.chunk(new Delta("assistant", ""), null, null));
            }
            GenerationResult result = run(lease, request, prepared, (token, text) -> {
                answer.firstToken();
                if (events.clientGone()) {
                    cancellation.cancel();
                    return;
                }
                String piece = answer.visible(text);
                if (!piece.isEmpty()) {
                    events.send(prepared.endpoint() == Endpoint.CHAT ? answer.chunk(new Delta(null, piece), null, null)
                            : answer.textChunk(piece, null, null));
                }
            }, answer);
            if (result.finishReason() == FinishReason.CANCELLED) {
                LOG.debugf("%s: the client went away; generation stopped after %d tokens", answer.id,
                        result.usage().completionTokens());
                return;
            }
            String finish = finishReason(result);
            events.send(prepared.endpoint() == Endpoint.CHAT ? answer.chunk(new Delta(null, null), finish, null)
                    : answer.textChunk("", finish, null));
            if (prepared.includeUsage()) {
                events.send(prepared.endpoint() == Endpoint.CHAT ? answer.usageChunk(usage(result))
                        : answer.textUsageChunk(usage(result)));
            }
            events.done();
        } catch (ApiException refused) {
            events.send(refused.toResponse().getEntity());
            events.done();
        } catch (RuntimeException failure) {
            LOG.error("streamed generation failed", failure);
            events.send(new ErrorResponse(new ErrorDetail("internal error: " + failure.getClass().getSimpleName()
                    + " (see the server log)", "server_error", null, null)));
            events.done();
        }
    }

    static String finishReason(GenerationResult result) {
        return result.finishReason().name().toLowerCase(Locale.ROOT);
    }

    static Usage usage(GenerationResult result) {
        KvCacheStats cache = result.cacheStats();
        return new Usage(result.usage().promptTokens(), result.usage().completionTokens(),
                result.usage().totalTokens(), new PromptTokensDetails(result.usage().cachedPromptTokens()),
                new KvCacheUsage(result.cacheSpec(), cache.bytes(), cache.fp16Bytes(), cache.compressionRatio()));
    }

    /** One response's identity and text state. */
    private static final class Answer {
        final PreparedRequest prepared;
        final String id;
        final String model;
        final long created = Instant.now().getEpochSecond();
        final String object;
        private boolean started;
        private volatile long firstTokenNanos;

        Answer(PreparedRequest prepared, String model) {
            this.prepared = prepared;
            this.id = prepared.endpoint().idPrefix() + UUID.randomUUID().toString().replace("-", "");
            this.model = model;
            this.object = prepared.endpoint().chunkObject();
        }

        void firstToken() {
            if (firstTokenNanos == 0) {
                firstTokenNanos = System.nanoTime();
            }
        }

        long timeToFirstTokenNanos() {
            return firstTokenNanos == 0 ? 0 : firstTokenNanos - prepared.receivedNanos();
        }

        /**
         * A chat answer without the whitespace that starts it (the plain template's answer follows
         * {@code Assistant:} with a space), as {@code zipcache chat} shows it; completions keep their text as is.
         */
        String visible(String text) {
            if (started || prepared.endpoint() != Endpoint.CHAT) {
                return text;
            }
            String shown = text.stripLeading();
            started = !shown.isEmpty();
            return shown;
        }

        Object whole(GenerationResult result) {
            if (prepared.endpoint() == Endpoint.CHAT) {
                return new ChatCompletion(id, prepared.endpoint().object(), created, model, null,
                        List.of(new ChatChoice(0, new AssistantMessage("assistant", result.text().stripLeading(),
                                null), null, finishReason(result))), usage(result));
            }
            return new TextCompletion(id, prepared.endpoint().object(), created, model, null,
                    List.of(new TextChoice(result.text(), 0, null, finishReason(result))), usage(result));
        }

        ChatCompletionChunk chunk(Delta delta, String finishReason, Usage usage) {
            return new ChatCompletionChunk(id, object, created, model, null,
                    List.of(new ChunkChoice(0, delta, null, finishReason)), usage);
        }

        ChatCompletionChunk usageChunk(Usage usage) {
            return new ChatCompletionChunk(id, object, created, model, null, List.of(), usage);
        }

        TextCompletion textChunk(String text, String finishReason, Usage usage) {
            return new TextCompletion(id, object, created, model, null,
                    List.of(new TextChoice(text, 0, null, finishReason)), usage);
        }

        TextCompletion textUsageChunk(Usage usage) {
            return new TextCompletion(id, object, created, model, null, List.of(), usage);
        }
    }

    /** Writes server-sent events in OpenAI's format, {@code data: <json>} and a blank line, flushed at once. */
    private final class EventWriter {
        private final OutputStream out;
        private final HttpServerResponse http;
        private final CancellationToken cancellation;
        private boolean gone;

        EventWriter(OutputStream out, HttpServerResponse http, CancellationToken cancellation) {
            this.out = out;
            this.http = http;
            this.cancellation = cancellation;
        }

        boolean clientGone() {
            if (!gone && http.closed()) {
                gone = true;
            }
            return gone;
        }

        void send(Object event) {
            try {
                write(json.writeValueAsString(event));
            } catch (JsonProcessingException impossible) {
                throw new IllegalStateException("cannot write " + event.getClass().getSimpleName() + " as JSON",
                        impossible);
            }
        }

        void done() {
            write("[DONE]");
        }

        private void write(String data) {
            if (clientGone()) {
                cancellation.cancel();
                return;
            }
            try {
                out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException failure) {
                goneAfter(failure);
            }
        }

        private void goneAfter(IOException failure) {
            LOG.debugf("cannot write to the client (%s); stopping", failure.getMessage());
            gone = true;
            cancellation.cancel();
        }
    }
}
