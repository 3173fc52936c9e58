package dev.zipcache.benchmarks;

import dev.zipcache.engine.gguf.GgufValue;
import dev.zipcache.engine.gguf.GgufValueType;
import dev.zipcache.engine.gguf.GgufWriter;
import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.tensor.WeightQuantizer;
import dev.zipcache.engine.tokenizer.TokenType;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Writes a Llama-architecture GGUF of a chosen shape with seeded random weights and a valid SentencePiece vocabulary,
 * so that zipcache and llama.cpp can load the very same file for speed measurements. The weights are noise: the text
 * such a model writes is meaningless, but every byte moved and every multiply is real.
 *
 * <p>Run: {@code java -cp ... dev.zipcache.benchmarks.SyntheticModel PRESET TYPE OUTPUT} with a preset below and a
 * weight type of f32, f16, q8_0 or q4_0.
 */
public final class SyntheticModel {

    /**
     * A model shape.
     *
     * @param name              preset name
     * @param width             embedding length
     * @param feedForward       SwiGLU hidden width
     * @param layers            transformer blocks
     * @param heads             query heads
     * @param kvHeads           KV heads
     * @param vocabulary        tokens (at least 259 + 95: control, byte and printable-ASCII tokens)
     * @param context           context length
     */
    public record Shape(String name, int width, int feedForward, int layers, int heads, int kvHeads, int vocabulary,
                        int context) {
        public int headDimension() {
            return width / heads;
        }

        public long parameters() {
            long attention = (long) width * width * 2 + 2L * width * kvHeads * headDimension();
            return (long) vocabulary * width * 2 + layers * (attention + 3L * width * feedForward);
        }
    }

    /** Presets measured in shared/bench/README.md. */
    public static final List<Shape> PRESETS = List.of(
            new Shape("tiny-60m", 512, 1536, 8, 8, 4, 32_000, 4096),
            new Shape("attn-heavy", 1024, 2816, 4, 8, 2, 4096, 32_768),
            new Shape("llama-1b-like", 2048, 8192, 16, 32, 8, 32_000, 4096));

    private SyntheticModel() {
    }

    public static Shape preset(String name) {
        return PRESETS.stream().filter(shape -> shape.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown preset '" + name + "'; presets: "
                        + PRESETS.stream().map(Shape::name).toList()));
    }

    /** Writes the model; the same shape, type and seed give the same file. */
    public static void write(Shape shape, GgmlType type, long seed, Path output) throws IOException {
        SplittableRandom random = new SplittableRandom(seed);
        GgufWriter writer = new GgufWriter();
        String p = "llama.";
        writer.put("general.architecture", GgufValue.string("llama"))
                .put("general.name", GgufValue.string("synthetic-" + shape.name()))
                .put(p + "vocab_size", GgufValue.uint32(shape.vocabulary()))
                .put(p + "context_length", GgufValue.uint32(shape.context()))
                .put(p + "embedding_length", GgufValue.uint32(shape.width()))
                .put(p + "block_count", GgufValue.uint32(shape.layers()))
                .put(p + "feed_forward_length", GgufValue.uint32(shape.feedForward()))
                .put(p + "rope.dimension_count", GgufValue.uint32(shape.headDimension()))
                .put(p + "rope.freq_base", GgufValue.float32(10_000f))
                .put(p + "attention.head_count", GgufValue.uint32(shape.heads()))
                .put(p + "attention.head_count_kv", GgufValue.uint32(shape.kvHeads()))
                .put(p + "attention.layer_norm_rms_epsilon", GgufValue.float32(1e-5f));
        vocabulary(writer, shape.vocabulary());
        int kvWidth = shape.kvHeads() * shape.headDimension();
        matrix(writer, random, "token_embd.weight", shape.vocabulary(), shape.width(), type);
        for (int layer = 0; layer < shape.layers(); layer++) {
            String prefix = "blk." + layer + ".";
            norm(writer, prefix + "attn_norm.weight", shape.width());
            matrix(writer, random, prefix + "attn_q.weight", shape.width(), shape.width(), type);
            matrix(writer, random, prefix + "attn_k.weight", kvWidth, shape.width(), type);
            matrix(writer, random, prefix + "attn_v.weight", kvWidth, shape.width(), type);
            matrix(writer, random, prefix + "attn_output.weight", shape.width(), shape.width(), type);
            norm(writer, prefix + "ffn_norm.weight", shape.width());
            matrix(writer, random, prefix + "ffn_gate.weight", shape.feedForward(), shape.width(), type);
            matrix(writer, random, prefix + "ffn_down.weight", shape.width(), shape.feedForward(), type);
            matrix(writer, random, prefix + "ffn_up.weight", shape.feedForward(), shape.width(), type);
        }
        norm(writer, "output_norm.weight", shape.width());
        matrix(writer, random, "output.weight", shape.vocabulary(), shape.width(), type);
        writer.write(output);
    }

    /** Control tokens, 256 byte tokens, printable ASCII, then made-up word pieces with descending scores. */
    private static void vocabulary(GgufWriter writer, int size) {
        List<String> pieces = new ArrayList<>(List.of("<unk>", "<s>", "</s>"));
        List<Long> types = new ArrayList<>(List.of((long) TokenType.UNKNOWN.code(), (long) TokenType.CONTROL.code(),
                (long) TokenType.CONTROL.code()));
        for (int b = 0; b < 256; b++) {
            pieces.add(String.format(Locale.ROOT, "<0x%02X>", b));
            types.add((long) TokenType.BYTE.code());
        }
        pieces.add("\u2581");
        types.add((long) TokenType.NORMAL.code());
        for (char c = '!'; c <= '~'; c++) {
            pieces.add(String.valueOf(c));
            types.add((long) TokenType.NORMAL.code());
        }
        for (int i = 0; pieces.size() < size; i++) {
            pieces.add("\u2581w" + i);
            types.add((long) TokenType.NORMAL.code());
        }
        List<Float> scores = new ArrayList<>();
        for (int id = 0; id < size; id++) {
            scores.add(id < 259 ? 0f : -(float) (id - 259));
        }
        writer.put("tokenizer.ggml.model", GgufValue.string("llama"))
                .put("tokenizer.ggml.tokens", GgufValue.array(GgufValueType.STRING, pieces.subList(0, size)))
                .put("tokenizer.ggml.scores", GgufValue.array(GgufValueType.FLOAT32, scores))
                .put("tokenizer.ggml.token_type", GgufValue.array(GgufValueType.INT32, types.subList(0, size)))
                .put("tokenizer.ggml.bos_token_id", GgufValue.uint32(1))
                .put("tokenizer.ggml.eos_token_id", GgufValue.uint32(2))
                .put("tokenizer.ggml.unknown_token_id", GgufValue.uint32(0))
                .put("tokenizer.ggml.add_bos_token", GgufValue.bool(true));
    }

    /** Uniform weights scaled by 1/sqrt(fan-in), so activations stay of order one through the layers. */
    private static void matrix(GgufWriter writer, SplittableRandom random, String name, int rows, int columns,
                               GgmlType type) {
        float[] values = new float[Math.multiplyExact(rows, columns)];
        float scale = (float) (Math.sqrt(3.0 / columns));
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1) * scale;
        }
        writer.tensor(name, type, new long[] {columns, rows}, WeightQuantizer.quantize(type, values));
    }

    private static void norm(GgufWriter writer, String name, int length) {
        float[] ones = new float[length];
        java.util.Arrays.fill(ones, 1f);
        writer.tensor(name, GgmlType.F32, new long[] {length}, WeightQuantizer.quantize(GgmlType.F32, ones));
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 3) {
            System.err.println("usage: SyntheticModel PRESET TYPE OUTPUT   (presets: "
                    + PRESETS.stream().map(Shape::name).toList() + "; types: f32 f16 q8_0 q4_0)");
            System.exit(2);
        }
        Shape shape = preset(args[0]);
        GgmlType type = GgmlType.valueOf(args[1].toUpperCase(Locale.ROOT));
        write(shape, type, 42, Path.of(args[2]));
        System.out.printf("wrote %s: %s, %,d parameters, %s weights%n", args[2], shape.name(), shape.parameters(),
                type);
    }
}
