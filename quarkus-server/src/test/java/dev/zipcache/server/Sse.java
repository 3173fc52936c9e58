package dev.zipcache.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;

/** Reads a server-sent-events body the way OpenAI's clients do. */
final class Sse {

    private static final ObjectMapper JSON = new ObjectMapper();

    private Sse() {
    }

    /** The {@code data:} payloads, in order (the last one being {@code [DONE]} for a complete stream). */
    static List<String> data(String body) {
        List<String> data = new ArrayList<>();
        for (String event : body.split("\n\n")) {
            if (event.isBlank()) {
                continue;
            }
            if (!event.startsWith("data: ") || event.contains("\n")) {
                throw new AssertionError("not one 'data: ' line: " + event);
            }
            data.add(event.substring("data: ".length()));
        }
        return data;
    }

    /** The JSON chunks before {@code [DONE]}; fails when the stream does not end with it. */
    static List<JsonNode> chunks(String body) {
        List<String> data = data(body);
        if (data.isEmpty() || !data.getLast().equals("[DONE]")) {
            throw new AssertionError("the stream does not end with data: [DONE]: " + body);
        }
        return data.subList(0, data.size() - 1).stream().map(Sse::parse).toList();
    }

    /** The text of a chat stream's content deltas (or a completion stream's texts), joined. */
    static String text(List<JsonNode> chunks) {
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks) {
            for (JsonNode choice : chunk.path("choices")) {
                JsonNode piece = choice.has("delta") ? choice.path("delta").path("content") : choice.path("text");
                if (piece.isTextual()) {
                    text.append(piece.asText());
                }
            }
        }
        return text.toString();
    }

    static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (Exception bad) {
            throw new AssertionError("not JSON: " + json, bad);
        }
    }
}
