package dev.zipcache.engine.model;

import dev.zipcache.engine.generate.GenerationRequest;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.generate.TokenListener;
import dev.zipcache.engine.gguf.GgufFile;
import dev.zipcache.engine.gguf.GgufTensorInfo;
import dev.zipcache.engine.gguf.GgufValue;
import dev.zipcache.engine.gguf.GgufWriter;
import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.tensor.WeightQuantizer;
import dev.zipcache.engine.testing.ReferenceCases;
import dev.zipcache.engine.testing.ReferenceCases.GreedyCase;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Qwen2 differs from Llama by QKV biases and NeoX RoPE, which rotates element i with i + d/2 instead of 2i with
 * 2i+1. Permuting each head's Q and K rows from the adjacent layout to the halves layout turns one into the other:
 * q'·k' = q·k because both get the same permutation. So stories260K rewritten as a Qwen2 GGUF with permuted Q/K and
 * zero biases must generate the reference tokens; with the unpermuted weights it must not.
 */
class Qwen2ArchitectureTest {

    @TempDir
    Path folder;

    @Test
    void neoxRopeWithPermutedWeightsEqualsAdjacentRope() throws IOException {
        GreedyCase reference = ReferenceCases.greedy("stories260K").getFirst();
        assertThat(generate(rewriteAsQwen2(true), reference)).containsExactly(reference.generatedTokenIds());
        assertThat(generate(rewriteAsQwen2(false), reference)).isNotEqualTo(reference.generatedTokenIds());
    }

    @Test
    void unknownArchitectureListsTheSupportedOnes() {
        assertThatThrownBy(() -> Architecture.fromGguf("gemma3"))
                .hasMessage("model architecture 'gemma3' is not supported; supported: llama, qwen2");
    }

    private static int[] generate(Path model, GreedyCase reference) {
        try (Model loaded = Model.load(model);
             Session session = Session.open(loaded, SessionOptions.defaults().withKvCache("fp32").withThreads(1))) {
            assertThat(loaded.config().architecture()).isEqualTo(Architecture.QWEN2);
            return session.generate(GenerationRequest.of(reference.prompt(), reference.maxNewTokens())
                    .withStopTokens(Set.of(1)), TokenListener.NONE).generatedTokenIds();
        }
    }

    private Path rewriteAsQwen2(boolean permute) throws IOException {
        Path output = folder.resolve("qwen2-" + permute + ".gguf");
        try (Arena arena = Arena.ofConfined()) {
            GgufFile source = GgufFile.open(SharedFiles.file("models/stories260K/stories260K-f32.gguf"), arena);
            int headDimension = (int) source.metadata().integer("llama.attention.key_length");
            GgufWriter writer = new GgufWriter();
            source.metadata().entries().forEach((key, value) -> writer.put(key.replace("llama.", "qwen2."), value));
            writer.put("general.architecture", GgufValue.string("qwen2"));
            for (GgufTensorInfo info : source.tensors().values()) {
                byte[] bytes = source.tensorData(info).toArray(ValueLayout.JAVA_BYTE);
                boolean rotated = info.name().endsWith("attn_q.weight") || info.name().endsWith("attn_k.weight");
                if (rotated && permute) {
                    bytes = adjacentToHalves(bytes, (int) info.dimension(0), (int) info.dimension(1), headDimension);
                }
                writer.tensor(info.name(), info.type(), info.dimensions(), bytes);
                if (info.name().endsWith("attn_q.weight") || info.name().endsWith("attn_k.weight")
                        || info.name().endsWith("attn_v.weight")) {
                    int rows = (int) info.dimension(1);
                    writer.tensor(info.name().replace(".weight", ".bias"), GgmlType.F32, new long[] {rows},
                            WeightQuantizer.quantize(GgmlType.F32, new float[rows]));
                }
            }
            writer.write(output);
        }
        return output;
    }

    /** Row 2i of each head moves to row i, row 2i+1 to row i + d/2 (F32 rows of {@code columns} floats). */
    private static byte[] adjacentToHalves(byte[] bytes, int columns, int rows, int headDimension) {
        ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer out = ByteBuffer.allocate(bytes.length).order(ByteOrder.LITTLE_ENDIAN);
        int half = headDimension / 2;
        for (int row = 0; row < rows; row++) {
            int head = row / headDimension;
            int within = row % headDimension;
            int target = head * headDimension + (within % 2 == 0 ? within / 2 : half + within / 2);
            for (int column = 0; column < columns; column++) {
                out.putFloat((target * columns + column) * 4, in.getFloat((row * columns + column) * 4));
            }
        }
        return out.array();
    }
}
