package dev.zipcache.server;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.core.Response;
import org.jboss.logging.Logger;
import org.jboss.resteasy.reactive.server.ServerExceptionMapper;

import java.util.stream.Collectors;

/**
 * Turns every failure into OpenAI's error shape, {@code {"error":{"message","type","param","code"}}}: a response
 * never carries a stack trace. Jackson's exceptions get mappers of their own types, so that they win over Quarkus's
 * built-in ones.
 */
public class ErrorMappers {

    private static final Logger LOG = Logger.getLogger(ErrorMappers.class);

    @ServerExceptionMapper
    public Response api(ApiException failure) {
        return failure.toResponse();
    }

    @ServerExceptionMapper
    public Response malformed(JsonParseException failure) {
        return malformedJson(failure);
    }

    @ServerExceptionMapper
    public Response unknownField(UnrecognizedPropertyException failure) {
        return new ApiException(400, "invalid_request_error", failure.getPropertyName(), "unknown_parameter",
                "Unrecognized request argument supplied: " + failure.getPropertyName(), null).toResponse();
    }

    @ServerExceptionMapper
    public Response badFormat(InvalidFormatException failure) {
        return wrongType(failure);
    }

    @ServerExceptionMapper
    public Response mismatched(MismatchedInputException failure) {
        return wrongType(failure);
    }

    @ServerExceptionMapper
    public Response instantiation(ValueInstantiationException failure) {
        return wrongType(failure);
    }

    @ServerExceptionMapper
    public Response mapping(JsonMappingException failure) {
        return wrongType(failure);
    }

    @ServerExceptionMapper
    public Response json(JsonProcessingException failure) {
        return malformedJson(failure);
    }

    @ServerExceptionMapper
    public Response web(WebApplicationException failure) {
        // Quarkus wraps body-reading failures; answer for the cause when it is Jackson's.
        Throwable cause = failure.getCause();
        if (cause instanceof JsonParseException parse) {
            return malformedJson(parse);
        }
        if (cause instanceof JsonMappingException mapping) {
            return cause instanceof UnrecognizedPropertyException unknown ? unknownField(unknown) : wrongType(mapping);
        }
        int status = failure.getResponse().getStatus();
        String type = status == 401 ? "authentication_error" : status >= 500 ? "server_error" : "invalid_request_error";
        String code = switch (status) {
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 415 -> "unsupported_media_type";
            default -> null;
        };
        String message = switch (status) {
            case 404 -> "no such endpoint; see /q/openapi";
            case 415 -> "send the request body as application/json";
            default -> failure.getResponse().getStatusInfo().getReasonPhrase();
        };
        return new ApiException(status, type, null, code, message, null).toResponse();
    }

    @ServerExceptionMapper
    public Response unexpected(Throwable failure) {
        LOG.error("request failed", failure);
        return new ApiException(500, "server_error", null, null,
                "internal error: " + failure.getClass().getSimpleName() + " (see the server log)", null).toResponse();
    }

    private static Response malformedJson(JsonProcessingException failure) {
        String where = failure.getLocation() == null ? ""
                : " at line " + failure.getLocation().getLineNr() + ", column " + failure.getLocation().getColumnNr();
        return new ApiException(400, "invalid_request_error", null, "invalid_json",
                "the request body is not valid JSON" + where + ": " + withoutSource(failure.getOriginalMessage()),
                null).toResponse();
    }

    private static Response wrongType(JsonMappingException failure) {
        if (failure.getOriginalMessage().startsWith("Unexpected end-of-input")) {
            return malformedJson(failure);
        }
        String param = failure.getPath().stream()
                .map(reference -> reference.getFieldName() != null ? reference.getFieldName()
                        : "[" + reference.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
        String message = withoutSource(failure.getOriginalMessage());
        return new ApiException(400, "invalid_request_error", param.isEmpty() ? null : param, "invalid_type",
                (param.isEmpty() ? "" : "'" + param + "': ") + message, null).toResponse();
    }

    /** Jackson's message up to its first line break or source reference, which say nothing to a client. */
    private static String withoutSource(String message) {
        int cut = message.length();
        for (String marker : new String[] {"\n", " (start marker at", " at [Source"}) {
            int at = message.indexOf(marker);
            if (at >= 0) {
                cut = Math.min(cut, at);
            }
        }
        return message.substring(0, cut);
    }
}
