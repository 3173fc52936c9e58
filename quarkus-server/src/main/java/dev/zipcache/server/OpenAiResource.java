package dev.zipcache.server;

import dev.zipcache.server.api.OpenAiRequests.ChatCompletionRequest;
import dev.zipcache.server.api.OpenAiRequests.CompletionRequest;
import dev.zipcache.server.api.OpenAiResponses.ChatCompletion;
import dev.zipcache.server.api.OpenAiResponses.ErrorResponse;
import dev.zipcache.server.api.OpenAiResponses.ModelCard;
import dev.zipcache.server.api.OpenAiResponses.ModelList;
import dev.zipcache.server.api.OpenAiResponses.TextCompletion;
import io.smallrye.common.annotation.Blocking;
import io.vertx.core.http.HttpServerResponse;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.eclipse.microprofile.openapi.annotations.tags.Tag;
import org.jboss.resteasy.reactive.RestResponse;

import java.util.List;

/** OpenAI's endpoints: chat completions, completions and models. Generation runs on worker threads. */
@Path("/v1")
@Tag(name = "OpenAI-compatible API")
public class OpenAiResource {

    private final ServedModel served;
    private final RequestValidator validator;
    private final Generations generations;
    private final ServerMetrics metrics;

    public OpenAiResource(ServedModel served, RequestValidator validator, Generations generations,
                          ServerMetrics metrics) {
        this.served = served;
        this.validator = validator;
        this.generations = generations;
        this.metrics = metrics;
    }

    @POST
    @Path("/chat/completions")
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(summary = "A chat answer", description = "With stream: true, server-sent events of "
            + "chat.completion.chunk objects ending with data: [DONE].")
    @APIResponse(responseCode = "200", content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = ChatCompletion.class)),
            @Content(mediaType = "text/event-stream")})
    @APIResponse(responseCode = "400", description = "a bad field, an unknown kv_cache, n > 1, a prompt beyond the "
            + "context", content = @Content(schema = @Schema(implementation = ErrorResponse.class)))
    @APIResponse(responseCode = "404", description = "an unknown model",
            content = @Content(schema = @Schema(implementation = ErrorResponse.class)))
    @APIResponse(responseCode = "429", description = "the queue is full; see Retry-After",
            content = @Content(schema = @Schema(implementation = ErrorResponse.class)))
    public Response chatCompletions(ChatCompletionRequest body, HttpServerResponse http) {
        long received = System.nanoTime();
        metrics.received(Endpoint.CHAT);
        return generations.respond(checked(Endpoint.CHAT, () -> validator.chat(body, received)), http);
    }

    @POST
    @Path("/completions")
    @Consumes(MediaType.APPLICATION_JSON)
    @Blocking
    @Operation(summary = "A text completion of a prompt", description = "With stream: true, server-sent events of "
            + "text_completion objects ending with data: [DONE].")
    @APIResponse(responseCode = "200", content = {
            @Content(mediaType = MediaType.APPLICATION_JSON, schema = @Schema(implementation = TextCompletion.class)),
            @Content(mediaType = "text/event-stream")})
    @APIResponse(responseCode = "400", content = @Content(schema = @Schema(implementation = ErrorResponse.class)))
    @APIResponse(responseCode = "429", content = @Content(schema = @Schema(implementation = ErrorResponse.class)))
    public Response completions(CompletionRequest body, HttpServerResponse http) {
        long received = System.nanoTime();
        metrics.received(Endpoint.COMPLETION);
        return generations.respond(checked(Endpoint.COMPLETION, () -> validator.completion(body, received)), http);
    }

    private PreparedRequest checked(Endpoint endpoint, java.util.function.Supplier<PreparedRequest> validation) {
        try {
            return validation.get();
        } catch (ApiException refused) {
            metrics.rejected(endpoint, refused.status() == 404 ? "unknown_model" : "invalid");
            throw refused;
        }
    }

    @GET
    @Path("/models")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "The served model")
    public ModelList models() {
        return new ModelList("list", List.of(card()));
    }

    @GET
    @Path("/models/{id}")
    @Produces(MediaType.APPLICATION_JSON)
    @Operation(summary = "A model by id")
    @APIResponse(responseCode = "200", content = @Content(schema = @Schema(implementation = ModelCard.class)))
    @APIResponse(responseCode = "404", content = @Content(schema = @Schema(implementation = ErrorResponse.class)))
    public RestResponse<ModelCard> model(@PathParam("id") String id) {
        if (!served.id().equals(id)) {
            throw new ApiException(404, "invalid_request_error", "model", "model_not_found",
                    "The model '" + id + "' does not exist; this server serves '" + served.id() + "'", null);
        }
        return RestResponse.ok(card());
    }

    private ModelCard card() {
        return new ModelCard(served.id(), "model", served.created(), "zipcache");
    }
}
