package dev.zipcache.engine.convert;

import dev.zipcache.engine.gguf.GgufValue;
import dev.zipcache.engine.gguf.GgufValueType;
import dev.zipcache.engine.gguf.GgufWriter;
import dev.zipcache.engine.model.Architecture;
import dev.zipcache.engine.model.LayerWeights;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.model.ModelWeights;
import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.tensor.WeightMatrix;
import dev.zipcache.engine.tensor.WeightQuantizer;
import dev.zipcache.engine.tokenizer.SentencePieceTokenizer;
import dev.zipcache.engine.tokenizer.SpecialTokens;
import dev.zipcache.engine.tokenizer.TokenType;
import dev.zipcache.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a loaded Llama-architecture model with a SentencePiece vocabulary (a llama2.c checkpoint, or a GGUF to
 * re-quantize) as GGUF with the metadata keys and tensor names llama.cpp uses for architecture {@code llama}.
 * Matrices are stored in the chosen type; a matrix whose rows are not a whole number of the type's blocks falls back
 * to F16 (as llama.cpp's quantizer does), and norm weights stay F32.
 */
public final class GgufConverter {

    /** The weight types {@code zipcache convert} writes, with llama.cpp's {@code general.file_type} numbers. */
    private static final Map<GgmlType, Integer> FILE_TYPES = Map.of(GgmlType.F32, 0, GgmlType.F16, 1,
            GgmlType.Q4_0, 2, GgmlType.Q8_0, 7);

    /** What a conversion did, tensor by tensor. */
    public record Report(Path output, GgmlType requestedType, Map<String, GgmlType> tensorTypes) {
        /** Tensors stored in another type than requested (fallbacks and norms). */
        public List<String> fallbacks() {
            return tensorTypes.entrySet().stream()
                    .filter(entry -> entry.getValue() != requestedType && entry.getValue() != GgmlType.F32)
                    .map(entry -> entry.getKey() + " → " + entry.getValue()).toList();
        }
    }

    private GgufConverter() {
    }

    /** The types accepted by {@link #convert}. */
    public static List<GgmlType> supportedTypes() {
        return List.of(GgmlType.F32, GgmlType.F16, GgmlType.Q8_0, GgmlType.Q4_0);
    }

    /**
     * Converts {@code model} to a GGUF file at {@code output}.
     *
     * @throws IllegalArgumentException for an unsupported type, architecture or tokenizer
     */
    public static Report convert(Model model, GgmlType type, Path output) throws IOException {
        if (!FILE_TYPES.containsKey(type)) {
            throw new IllegalArgumentException("cannot write weights as " + type + "; choose one of " + supportedTypes());
        }
        ModelConfig config = model.config();
        if (config.architecture() != Architecture.LLAMA) {
            throw new IllegalArgumentException("convert writes architecture llama only; this model is "
                    + config.architecture().ggufName());
        }
        if (!(model.tokenizer() instanceof SentencePieceTokenizer tokenizer)) {
            throw new IllegalArgumentException("convert writes SentencePiece (llama) vocabularies only");
        }
        GgufWriter writer = new GgufWriter();
        writeMetadata(writer, config, type);
        writeTokenizer(writer, tokenizer);
        Map<String, GgmlType> types = new LinkedHashMap<>();
        ModelWeights weights = model.weights();
        matrix(writer, types, "token_embd.weight", weights.tokenEmbedding(), type);
        for (int layer = 0; layer < config.layers(); layer++) {
            LayerWeights w = weights.layers().get(layer);
            String prefix = "blk." + layer + ".";
            vector(writer, types, prefix + "attn_norm.weight", w.attentionNorm());
            matrix(writer, types, prefix + "attn_q.weight", w.queryProjection(), type);
            matrix(writer, types, prefix + "attn_k.weight", w.keyProjection(), type);
            matrix(writer, types, prefix + "attn_v.weight", w.valueProjection(), type);
            matrix(writer, types, prefix + "attn_output.weight", w.outputProjection(), type);
            vector(writer, types, prefix + "ffn_norm.weight", w.feedForwardNorm());
            matrix(writer, types, prefix + "ffn_gate.weight", w.gateProjection(), type);
            matrix(writer, types, prefix + "ffn_down.weight", w.downProjection(), type);
            matrix(writer, types, prefix + "ffn_up.weight", w.upProjection(), type);
        }
        vector(writer, types, "output_norm.weight", weights.outputNorm());
        if (!config.tiedClassifier()) {
            matrix(writer, types, "output.weight", weights.classifier(), type);
        }
        if (weights.ropeFrequencyDivisors() != null) {
            vector(writer, types, "rope_freqs.weight", weights.ropeFrequencyDivisors());
        }
        writer.write(output);
        return new Report(output, type, types);
    }

    private static void writeMetadata(GgufWriter writer, ModelConfig config, GgmlType type) {
        String p = "llama.";
        writer.put("general.architecture", GgufValue.string("llama"))
                .put("general.name", GgufValue.string(config.name()))
                .put("general.file_type", GgufValue.uint32(FILE_TYPES.get(type)))
                .put(p + "vocab_size", GgufValue.uint32(config.vocabularySize()))
                .put(p + "context_length", GgufValue.uint32(config.contextLength()))
                .put(p + "embedding_length", GgufValue.uint32(config.embeddingLength()))
                .put(p + "block_count", GgufValue.uint32(config.layers()))
                .put(p + "feed_forward_length", GgufValue.uint32(config.feedForwardLength()))
                .put(p + "rope.dimension_count", GgufValue.uint32(config.ropeDimensions()))
                .put(p + "rope.freq_base", GgufValue.float32(config.ropeBase()))
                .put(p + "attention.head_count", GgufValue.uint32(config.heads()))
                .put(p + "attention.head_count_kv", GgufValue.uint32(config.kvHeads()))
                .put(p + "attention.key_length", GgufValue.uint32(config.headDimension()))
                .put(p + "attention.value_length", GgufValue.uint32(config.headDimension()))
                .put(p + "attention.layer_norm_rms_epsilon", GgufValue.float32(config.rmsEpsilon()));
    }

    /** SentencePiece vocabulary as llama.cpp expects it: U+2581 for spaces, control tokens named {@code <s>}. */
    private static void writeTokenizer(GgufWriter writer, SentencePieceTokenizer tokenizer) {
        SpecialTokens special = tokenizer.specialTokens();
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Long> types = new ArrayList<>();
        for (int id = 0; id < tokenizer.vocabularySize(); id++) {
            TokenType type = tokenizer.type(id);
            pieces.add(ggufPiece(tokenizer, id, special));
            scores.add(tokenizer.score(id));
            types.add((long) type.code());
        }
        writer.put("tokenizer.ggml.model", GgufValue.string("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, pieces))
                .put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores))
                .put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types));
        if (special.bos() >= 0) {
            writer.put("tokenizer.ggml.bos_token_id", GgufValue.uint32(special.bos()));
        }
        if (special.eos() >= 0) {
            writer.put("tokenizer.ggml.eos_token_id", GgufValue.uint32(special.eos()));
        }
        for (int id = 0; id < tokenizer.vocabularySize(); id++) {
            if (tokenizer.type(id) == TokenType.UNKNOWN) {
                writer.put("tokenizer.ggml.unknown_token_id", GgufValue.uint32(id));
                break;
            }
        }
        writer.put("tokenizer.ggml.add_bos_token", GgufValue.bool(special.addBos()))
                .put("tokenizer.ggml.add_eos_token", GgufValue.bool(false))
                .put("tokenizer.ggml.add_space_prefix", GgufValue.bool(tokenizer.stripsLeadingSpace()));
    }

    /** llama2.c names its control tokens "\n<s>\n"; GGUF vocabularies use the plain SentencePiece names. */
    private static String ggufPiece(Tokenizer tokenizer, int id, SpecialTokens special) {
        if (tokenizer.type(id) == TokenType.UNKNOWN) {
            return "<unk>";
        }
        if (tokenizer.type(id) == TokenType.CONTROL) {
            if (id == special.bos()) {
                return "<s>";
            }
            if (id == special.eos()) {
                return "</s>";
            }
            return tokenizer.piece(id).strip();
        }
        return tokenizer.piece(id).replace(' ', '\u2581');
    }

    private static void matrix(GgufWriter writer, Map<String, GgmlType> types, String name, WeightMatrix matrix,
                               GgmlType requested) {
        int rows = matrix.rows();
        int columns = matrix.columns();
        float[] values = new float[rows * columns];
        for (int row = 0; row < rows; row++) {
            matrix.dequantizeRow(row, values, row * columns);
        }
        GgmlType type = columns % requested.blockSize() == 0 ? requested : GgmlType.F16;
        writer.tensor(name, type, new long[] {columns, rows}, WeightQuantizer.quantize(type, values));
        types.put(name, type);
    }

    private static void vector(GgufWriter writer, Map<String, GgmlType> types, String name, float[] values) {
        writer.tensor(name, GgmlType.F32, new long[] {values.length}, WeightQuantizer.quantize(GgmlType.F32, values));
        types.put(name, GgmlType.F32);
    }
}
