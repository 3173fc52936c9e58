package dev.zipcache.engine.model;

import dev.zipcache.engine.gguf.GgufFile;
import dev.zipcache.engine.gguf.GgufMetadata;
import dev.zipcache.engine.gguf.GgufTensorInfo;
import dev.zipcache.engine.tensor.WeightMatrix;
import dev.zipcache.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a model from a GGUF file: configuration from the architecture's metadata keys (FORMATS.md §3), weights as
 * slices of the mapping, and the tokenizer from {@code tokenizer.ggml.*}.
 */
final class GgufModelReader {

    private GgufModelReader() {
    }

    static LoadedModel read(Path path, Arena arena, boolean mapped) throws IOException {
        GgufFile gguf = GgufFile.open(path, arena, mapped);
        GgufMetadata metadata = gguf.metadata();
        Architecture architecture = Architecture.fromGguf(metadata.string("general.architecture"));
        Tokenizer tokenizer = GgufTokenizers.read(metadata);
        ModelConfig config = config(architecture, metadata, tokenizer.vocabularySize(), path,
                gguf.tensors().containsKey("output.weight"));
        TensorLookup tensors = new TensorLookup(gguf);

        int width = config.embeddingLength();
        WeightMatrix embedding = tensors.matrix("token_embd.weight", config.vocabularySize(), width);
        List<LayerWeights> layers = new ArrayList<>();
        for (int layer = 0; layer < config.layers(); layer++) {
            String prefix = "blk." + layer + ".";
            boolean bias = architecture.attentionBias();
            layers.add(new LayerWeights(
                    tensors.vector(prefix + "attn_norm.weight", width),
                    tensors.matrix(prefix + "attn_q.weight", config.queryWidth(), width),
                    tensors.matrix(prefix + "attn_k.weight", config.kvWidth(), width),
                    tensors.matrix(prefix + "attn_v.weight", config.kvWidth(), width),
                    tensors.matrix(prefix + "attn_output.weight", width, config.queryWidth()),
                    bias ? tensors.vector(prefix + "attn_q.bias", config.queryWidth()) : null,
                    bias ? tensors.vector(prefix + "attn_k.bias", config.kvWidth()) : null,
                    bias ? tensors.vector(prefix + "attn_v.bias", config.kvWidth()) : null,
                    tensors.vector(prefix + "ffn_norm.weight", width),
                    tensors.matrix(prefix + "ffn_gate.weight", config.feedForwardLength(), width),
                    tensors.matrix(prefix + "ffn_up.weight", config.feedForwardLength(), width),
                    tensors.matrix(prefix + "ffn_down.weight", width, config.feedForwardLength())));
        }
        float[] outputNorm = tensors.vector("output_norm.weight", width);
        WeightMatrix classifier = config.tiedClassifier() ? embedding
                : tensors.matrix("output.weight", config.vocabularySize(), width);
        float[] ropeDivisors = gguf.tensors().containsKey("rope_freqs.weight")
                ? tensors.vector("rope_freqs.weight", config.ropeDimensions() / 2) : null;
        float linearScale = ropeLinearScale(metadata, architecture.ggufName());
        if (linearScale != 1f) {
            ropeDivisors = scaled(ropeDivisors, config.ropeDimensions() / 2, linearScale);
        }
        ModelWeights weights = new ModelWeights(embedding, layers, outputNorm, classifier, ropeDivisors);
        return new LoadedModel(ModelFormat.GGUF, config, weights, tokenizer, metadata);
    }

    private static ModelConfig config(Architecture architecture, GgufMetadata metadata, int tokenizerVocabulary,
                                      Path path, boolean hasOutput) {
        String p = architecture.ggufName() + ".";
        int width = intKey(metadata, p + "embedding_length");
        int heads = intKey(metadata, p + "attention.head_count");
        int kvHeads = (int) (long) metadata.optionalInteger(p + "attention.head_count_kv").orElse((long) heads);
        int headDimension = (int) (long) metadata.optionalInteger(p + "attention.key_length")
                .orElse((long) (width / heads));
        int vocabulary = (int) (long) metadata.optionalInteger(p + "vocab_size").orElse((long) tokenizerVocabulary);
        String name = metadata.optionalString("general.name").orElse(path.getFileName().toString());
        return new ModelConfig(architecture, name, width, intKey(metadata, p + "feed_forward_length"),
                intKey(metadata, p + "block_count"), heads, kvHeads, headDimension, vocabulary,
                intKey(metadata, p + "context_length"),
                (float) metadata.decimal(p + "attention.layer_norm_rms_epsilon"),
                (float) (double) metadata.optionalDecimal(p + "rope.freq_base").orElse(10_000.0),
                (int) (long) metadata.optionalInteger(p + "rope.dimension_count").orElse((long) headDimension),
                !hasOutput);
    }

    private static int intKey(GgufMetadata metadata, String key) {
        long value = metadata.integer(key);
        if (value <= 0 || value > Integer.MAX_VALUE) {
            throw new ModelLoadException("metadata " + key + " = " + value + " is out of range");
        }
        return (int) value;
    }

    /** Linear RoPE scaling divides every frequency by the factor; other scaling types are not implemented. */
    private static float ropeLinearScale(GgufMetadata metadata, String prefix) {
        String type = metadata.optionalString(prefix + ".rope.scaling.type").orElse("none");
        double factor = metadata.optionalDecimal(prefix + ".rope.scaling.factor").orElse(1.0);
        return switch (type) {
            case "none" -> 1f;
            case "linear" -> (float) factor;
            default -> throw new ModelLoadException("RoPE scaling type '" + type + "' is not supported (none, linear)");
        };
    }

    private static float[] scaled(float[] divisors, int count, float factor) {
        float[] result = divisors == null ? new float[count] : divisors.clone();
        if (divisors == null) {
            Arrays.fill(result, 1f);
        }
        for (int i = 0; i < result.length; i++) {
            result[i] *= factor;
        }
        return result;
    }

    /** Finds tensors by name and checks their shapes against the configuration. */
    private record TensorLookup(GgufFile gguf) {

        GgufTensorInfo info(String name) {
            GgufTensorInfo info = gguf.tensors().get(name);
            if (info == null) {
                throw new ModelLoadException("tensor '" + name + "' is missing from " + gguf.path().getFileName());
            }
            return info;
        }

        WeightMatrix matrix(String name, int rows, int columns) {
            GgufTensorInfo info = info(name);
            if (info.dimension(0) != columns || info.dimension(1) != rows || info.dimensions().length > 2) {
                throw new ModelLoadException("tensor '" + name + "' has shape " + Arrays.toString(info.dimensions())
                        + ", expected [" + columns + ", " + rows + "]");
            }
            return WeightMatrix.of(name, info.type(), gguf.tensorData(info), rows, columns);
        }

        float[] vector(String name, int length) {
            GgufTensorInfo info = info(name);
            if (info.elementCount() != length) {
                throw new ModelLoadException("tensor '" + name + "' has " + info.elementCount() + " elements, expected "
                        + length);
            }
            float[] values = new float[length];
            WeightMatrix.of(name, info.type(), gguf.tensorData(info), 1, length).dequantizeRow(0, values, 0);
            return values;
        }
    }
}
