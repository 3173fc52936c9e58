package dev.zipcache.server;

import jakarta.ws.rs.container.ContainerRequestContext;
import jakarta.ws.rs.core.HttpHeaders;
import jakarta.ws.rs.core.Response;
import org.jboss.resteasy.reactive.server.ServerRequestFilter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** With {@code zipcache.api-key} set, {@code /v1/*} answers 401 unless the request sends {@code Bearer <key>}. */
public class ApiKeyFilter {

    private static final String BEARER = "Bearer ";

    private final byte[] key;

    public ApiKeyFilter(ServerConfig config) {
        this.key = config.apiKey().filter(value -> !value.isBlank())
                .map(value -> value.getBytes(StandardCharsets.UTF_8)).orElse(null);
    }

    @ServerRequestFilter
    public Response authorize(ContainerRequestContext request) {
        if (key == null || !request.getUriInfo().getPath().startsWith("/v1")) {
            return null;
        }
        String header = request.getHeaderString(HttpHeaders.AUTHORIZATION);
        if (header == null || !header.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return unauthorized("You didn't provide an API key: send Authorization: Bearer <key>.");
        }
        byte[] given = header.substring(BEARER.length()).strip().getBytes(StandardCharsets.UTF_8);
        // Constant time, so that the key cannot be guessed from response times.
        return MessageDigest.isEqual(given, key) ? null : unauthorized("Incorrect API key provided.");
    }

    private static Response unauthorized(String message) {
        return Response.fromResponse(new ApiException(401, "invalid_request_error", null, "invalid_api_key", message,
                null).toResponse()).header(HttpHeaders.WWW_AUTHENTICATE, "Bearer").build();
    }
}
