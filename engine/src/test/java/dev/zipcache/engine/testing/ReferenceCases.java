package dev.zipcache.engine.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The greedy cases of a model's {@code reference.json}, computed by an independent NumPy implementation. */
public final class ReferenceCases {

    /** One greedy case: prompt, its token ids (BOS first), the generated ids and the printed text. */
    public record GreedyCase(String prompt, int[] promptTokenIds, int[] generatedTokenIds, String text, int positions) {

        /** New tokens to ask for: run.c counts positions, prompt included, so positions − prompt length + 1. */
        public int maxNewTokens() {
            return positions - promptTokenIds.length + 1;
        }

        @Override
        public String toString() {
            return prompt;
        }
    }

    private ReferenceCases() {
    }

    /** The greedy cases of {@code models/<model>/reference.json}. */
    public static List<GreedyCase> greedy(String model) {
        try {
            JsonNode root = new ObjectMapper().readTree(SharedFiles.file("models/" + model + "/reference.json").toFile());
            Matcher steps = Pattern.compile("(\\d+) positions").matcher(root.path("greedy").path("semantics").asText());
            if (!steps.find()) {
                throw new AssertionError("reference.json of " + model + " does not say how many positions it ran");
            }
            int positions = Integer.parseInt(steps.group(1));
            List<GreedyCase> cases = new ArrayList<>();
            for (JsonNode node : root.path("greedy").path("cases")) {
                cases.add(new GreedyCase(node.path("prompt").asText(), ids(node.path("prompt_token_ids")),
                        ids(node.path("generated_token_ids")), node.path("text").asText(), positions));
            }
            return cases;
        } catch (IOException failure) {
            throw new UncheckedIOException(failure);
        }
    }

    private static int[] ids(JsonNode array) {
        int[] ids = new int[array.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = array.get(i).asInt();
        }
        return ids;
    }
}
