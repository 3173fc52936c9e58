package dev.zipcache.engine.model;

import dev.zipcache.engine.gguf.FileImage;
import dev.zipcache.engine.gguf.GgufMetadata;
import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.tensor.WeightMatrix;
import dev.zipcache.engine.tokenizer.SentencePieceTokenizer;
import dev.zipcache.engine.tokenizer.SpecialTokens;
import dev.zipcache.engine.tokenizer.TokenType;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads llama2.c checkpoints: a header of seven int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size,
 * seq_len; a negative vocab_size means a separate classifier follows) and float32 weights in llama2.c's order
 * (shared/models/stories260K/README.md), plus the llama2.c tokenizer file.
 */
final class Llama2cCheckpointReader {

    private static final int HEADER_BYTES = 7 * Integer.BYTES;
    private static final float RMS_EPSILON = 1e-5f; // llama2.c's run.c hard-codes it; the file does not carry it
    private static final float ROPE_BASE = 10_000f;
    private static final int BOS = 1;
    private static final int EOS = 2;

    private Llama2cCheckpointReader() {
    }

    static LoadedModel read(Path path, Path tokenizerPath, Arena arena, boolean mapped) throws IOException {
        if (Files.size(path) < HEADER_BYTES) {
            throw new ModelLoadException(path + ": file is too short for a llama2.c header (truncated file?)");
        }
        MemorySegment file = FileImage.of(path, arena, mapped);
        ValueLayout.OfInt int32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
        int dim = file.get(int32, 0);
        int hiddenDim = file.get(int32, 4);
        int layers = file.get(int32, 8);
        int heads = file.get(int32, 12);
        int kvHeads = file.get(int32, 16);
        int signedVocab = file.get(int32, 20);
        int seqLen = file.get(int32, 24);
        boolean tied = signedVocab > 0;
        int vocab = Math.abs(signedVocab);
        boolean plausible = dim > 0 && dim <= 65_536 && hiddenDim > 0 && hiddenDim <= 1 << 20 && layers > 0
                && layers <= 1024 && heads > 0 && heads <= dim && dim % heads == 0 && kvHeads > 0 && kvHeads <= heads
                && heads % kvHeads == 0 && vocab > 0 && vocab <= 1 << 22 && seqLen > 0 && seqLen <= 1 << 22;
        if (!plausible) {
            throw new ModelLoadException(path + ": not a GGUF file and not a llama2.c checkpoint (implausible header "
                    + List.of(dim, hiddenDim, layers, heads, kvHeads, signedVocab, seqLen) + ")");
        }
        int headDim = dim / heads;
        int kvDim = kvHeads * headDim;
        ModelConfig config = new ModelConfig(Architecture.LLAMA, fileStem(path), dim, hiddenDim, layers, heads,
                kvHeads, headDim, vocab, seqLen, RMS_EPSILON, ROPE_BASE, headDim, tied);

        long ropeTableFloats = (long) seqLen * headDim / 2;
        long floats = (long) vocab * dim + layers * ((long) dim * 2 + (long) dim * dim * 2 + (long) kvDim * dim * 2
                + (long) hiddenDim * dim * 3) + dim + 2 * ropeTableFloats + (tied ? 0 : (long) vocab * dim);
        long expected = HEADER_BYTES + floats * Float.BYTES;
        if (file.byteSize() < expected) {
            throw new ModelLoadException(path + ": file has " + file.byteSize() + " bytes but its header needs "
                    + expected + " (truncated file?)");
        }

        Cursor cursor = new Cursor(file, HEADER_BYTES);
        WeightMatrix embedding = cursor.matrix("token_embedding", vocab, dim);
        float[][] attentionNorms = cursor.vectors(layers, dim);
        WeightMatrix[] queries = cursor.matrices("wq", layers, dim, dim);
        WeightMatrix[] keys = cursor.matrices("wk", layers, kvDim, dim);
        WeightMatrix[] values = cursor.matrices("wv", layers, kvDim, dim);
        WeightMatrix[] outputs = cursor.matrices("wo", layers, dim, dim);
        float[][] feedForwardNorms = cursor.vectors(layers, dim);
        WeightMatrix[] gates = cursor.matrices("w1", layers, hiddenDim, dim);
        WeightMatrix[] downs = cursor.matrices("w2", layers, dim, hiddenDim);
        WeightMatrix[] ups = cursor.matrices("w3", layers, hiddenDim, dim);
        float[] outputNorm = cursor.vectors(1, dim)[0];
        cursor.skipFloats(2 * ropeTableFloats); // legacy freq_cis tables: RoPE is computed on the fly
        WeightMatrix classifier = tied ? embedding : cursor.matrix("wcls", vocab, dim);

        List<LayerWeights> layerWeights = new ArrayList<>();
        for (int layer = 0; layer < layers; layer++) {
            layerWeights.add(new LayerWeights(attentionNorms[layer], queries[layer], keys[layer], values[layer],
                    outputs[layer], null, null, null, feedForwardNorms[layer], gates[layer], ups[layer],
                    downs[layer]));
        }
        ModelWeights weights = new ModelWeights(embedding, layerWeights, outputNorm, classifier, null);
        Path tokenizerFile = tokenizerPath != null ? tokenizerPath : findTokenizer(path, vocab);
        SentencePieceTokenizer tokenizer = readTokenizer(tokenizerFile, vocab);
        return new LoadedModel(ModelFormat.LLAMA2C, config, weights, tokenizer, new GgufMetadata(Map.of()));
    }

    private static String fileStem(Path path) {
        String name = path.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    /** {@code tok<vocab>.bin}, {@code tokenizer.bin}, or the only {@code tok*.bin} beside the model. */
    static Path findTokenizer(Path model, int vocab) throws IOException {
        Path directory = model.toAbsolutePath().getParent();
        for (String name : List.of("tok" + vocab + ".bin", "tokenizer.bin")) {
            if (Files.isRegularFile(directory.resolve(name))) {
                return directory.resolve(name);
            }
        }
        List<Path> candidates = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(directory, "tok*.bin")) {
            stream.forEach(candidates::add);
        }
        if (candidates.size() == 1) {
            return candidates.getFirst();
        }
        throw new ModelLoadException("no llama2.c tokenizer found beside " + model
                + " (looked for tok" + vocab + ".bin, tokenizer.bin, tok*.bin); pass one with --tokenizer");
    }

    /** A llama2.c tokenizer file: int32 max_token_length, then per token float32 score, int32 length, bytes. */
    static SentencePieceTokenizer readTokenizer(Path path, int vocab) throws IOException {
        ByteBuffer buffer;
        try {
            buffer = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (java.nio.file.NoSuchFileException missing) {
            throw new ModelLoadException("tokenizer file " + path + " does not exist");
        }
        String[] pieces = new String[vocab];
        float[] scores = new float[vocab];
        TokenType[] types = new TokenType[vocab];
        try {
            buffer.getInt(); // max_token_length: only a buffer-size hint for C
            for (int id = 0; id < vocab; id++) {
                scores[id] = buffer.getFloat();
                int length = buffer.getInt();
                if (length < 0 || length > buffer.remaining()) {
                    throw new ModelLoadException(path + ": token " + id + " has an invalid length " + length
                            + " (truncated or not a llama2.c tokenizer?)");
                }
                byte[] bytes = new byte[length];
                buffer.get(bytes);
                pieces[id] = new String(bytes, StandardCharsets.UTF_8);
            }
        } catch (java.nio.BufferUnderflowException truncated) {
            throw new ModelLoadException(path + ": tokenizer file ends early; the model has " + vocab
                    + " tokens (truncated file, or the tokenizer of another model?)");
        }
        for (int id = 0; id < vocab; id++) {
            types[id] = id == 0 ? TokenType.UNKNOWN
                    : id == BOS || id == EOS ? TokenType.CONTROL
                    : SentencePieceTokenizer.isBytePiece(pieces[id]) ? TokenType.BYTE : TokenType.NORMAL;
        }
        // run.c ends a story when the model predicts BOS, so BOS ends generation as well as EOS.
        SpecialTokens special = new SpecialTokens(BOS, EOS, true, Set.of(BOS, EOS));
        return new SentencePieceTokenizer(pieces, scores, types, special, true);
    }

    /** Sequential reader of float32 weights from the mapping, as slices (no copies) for matrices. */
    private static final class Cursor {
        private final MemorySegment file;
        private long position;

        Cursor(MemorySegment file, long position) {
            this.file = file;
            this.position = position;
        }

        WeightMatrix matrix(String name, int rows, int columns) {
            long bytes = (long) rows * columns * Float.BYTES;
            WeightMatrix matrix = WeightMatrix.of(name, GgmlType.F32, file.asSlice(position, bytes), rows, columns);
            position += bytes;
            return matrix;
        }

        WeightMatrix[] matrices(String name, int count, int rows, int columns) {
            WeightMatrix[] matrices = new WeightMatrix[count];
            for (int i = 0; i < count; i++) {
                matrices[i] = matrix(name + "[" + i + "]", rows, columns);
            }
            return matrices;
        }

        float[][] vectors(int count, int length) {
            float[][] vectors = new float[count][];
            ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++) {
                vectors[i] = file.asSlice(position, (long) length * Float.BYTES).toArray(f32);
                position += (long) length * Float.BYTES;
            }
            return vectors;
        }

        void skipFloats(long count) {
            position += count * Float.BYTES;
        }
    }
}
