package dev.zipcache.engine.model;

import dev.zipcache.engine.gguf.GgufMetadata;
import dev.zipcache.engine.tokenizer.BytePairTokenizer;
import dev.zipcache.engine.tokenizer.PreTokenizer;
import dev.zipcache.engine.tokenizer.SentencePieceTokenizer;
import dev.zipcache.engine.tokenizer.SpecialTokens;
import dev.zipcache.engine.tokenizer.TokenType;
import dev.zipcache.engine.tokenizer.Tokenizer;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Builds the tokenizer a GGUF file describes under {@code tokenizer.ggml.*} (FORMATS.md §4). */
final class GgufTokenizers {

    /** Control tokens that end a turn in the common chat formats, as llama.cpp recognizes them by text. */
    private static final Set<String> END_OF_TURN_TEXTS = Set.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>",
            "<|end|>", "<|endoftext|>", "<end_of_turn>", "<|end_of_text|>");

    private GgufTokenizers() {
    }

    static Tokenizer read(GgufMetadata metadata) {
        String model = metadata.string("tokenizer.ggml.model");
        String[] tokens = metadata.array("tokenizer.ggml.tokens").stream().map(String.class::cast)
                .toArray(String[]::new);
        TokenType[] types = new TokenType[tokens.length];
        List<?> typeCodes = metadata.optionalArray("tokenizer.ggml.token_type").orElse(null);
        for (int id = 0; id < tokens.length; id++) {
            types[id] = typeCodes == null ? TokenType.NORMAL : TokenType.ofCode((int) (long) (Long) typeCodes.get(id));
        }
        boolean sentencePiece = model.equals("llama");
        int bos = (int) (long) metadata.optionalInteger("tokenizer.ggml.bos_token_id").orElse(-1L);
        int eos = (int) (long) metadata.optionalInteger("tokenizer.ggml.eos_token_id").orElse(-1L);
        boolean addBos = metadata.optionalBool("tokenizer.ggml.add_bos_token").orElse(sentencePiece && bos >= 0);
        Set<Integer> endOfGeneration = new HashSet<>();
        for (String key : List.of("tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id",
                "tokenizer.ggml.eom_token_id")) {
            metadata.optionalInteger(key).ifPresent(id -> endOfGeneration.add((int) (long) id));
        }
        for (int id = 0; id < tokens.length; id++) {
            if (types[id] == TokenType.CONTROL && END_OF_TURN_TEXTS.contains(tokens[id])) {
                endOfGeneration.add(id);
            }
        }
        SpecialTokens special = new SpecialTokens(bos, eos, addBos && bos >= 0, endOfGeneration);
        return switch (model) {
            case "llama" -> {
                float[] scores = new float[tokens.length];
                List<?> scoreValues = metadata.optionalArray("tokenizer.ggml.scores").orElse(null);
                for (int id = 0; scoreValues != null && id < tokens.length; id++) {
                    scores[id] = (Float) scoreValues.get(id);
                }
                boolean spacePrefix = metadata.optionalBool("tokenizer.ggml.add_space_prefix").orElse(true);
                yield new SentencePieceTokenizer(tokens, scores, types, special, spacePrefix);
            }
            case "gpt2" -> {
                String[] merges = metadata.array("tokenizer.ggml.merges").stream().map(String.class::cast)
                        .toArray(String[]::new);
                PreTokenizer pre = PreTokenizer.forName(metadata.optionalString("tokenizer.ggml.pre").orElse("default"));
                yield new BytePairTokenizer(tokens, types, merges, pre, special);
            }
            default -> throw new ModelLoadException("tokenizer model '" + model
                    + "' is not supported (llama = SentencePiece, gpt2 = byte-level BPE)");
        };
    }
}
