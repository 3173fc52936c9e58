package dev.zipcache.engine.model;

import dev.zipcache.engine.gguf.GgufFile;
import dev.zipcache.engine.gguf.GgufMetadata;
import dev.zipcache.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * A loaded model: configuration, weights and tokenizer, shared read-only by any number of sessions. The weights stay
 * off the heap, in a memory mapping of the file or (on request) a copy read into memory, which {@link #close()}
 * releases; sessions must be closed first.
 */
public final class Model implements AutoCloseable {

    private final Path path;
    private final Arena arena;
    private final LoadedModel loaded;
    private final boolean weightsMapped;

    private Model(Path path, Arena arena, LoadedModel loaded, boolean weightsMapped) {
        this.path = path;
        this.arena = arena;
        this.loaded = loaded;
        this.weightsMapped = weightsMapped;
    }

    /** Loads a GGUF file or a llama2.c checkpoint (with its tokenizer found beside it). */
    public static Model load(Path path) {
        return load(path, null);
    }

    /**
     * Loads a model, detecting the format from the file's first bytes.
     *
     * @param tokenizer a llama2.c tokenizer file, or null to look beside the checkpoint (ignored for GGUF)
     * @throws ModelLoadException with a message naming the file and the problem
     */
    public static Model load(Path path, Path tokenizer) {
        return load(path, tokenizer, true);
    }

    /**
     * Loads a model, its weights mapped from the file or read into memory.
     *
     * @param tokenizer a llama2.c tokenizer file, or null to look beside the checkpoint (ignored for GGUF)
     * @param mapped    true to map the file (fast to open, shared with the page cache), false to read the weights
     *                  into memory this model owns, as llama.cpp's {@code --no-mmap} (slower to open; on some machines
     *                  much faster to decode from, see {@link dev.zipcache.engine.gguf.FileImage})
     * @throws ModelLoadException with a message naming the file and the problem
     */
    public static Model load(Path path, Path tokenizer, boolean mapped) {
        if (!Files.isRegularFile(path)) {
            throw new ModelLoadException("model file " + path + " does not exist");
        }
        Arena arena = Arena.ofShared();
        try {
            LoadedModel loaded = isGguf(path) ? GgufModelReader.read(path, arena, mapped)
                    : Llama2cCheckpointReader.read(path, tokenizer, arena, mapped);
            return new Model(path, arena, loaded, mapped);
        } catch (ModelLoadException failure) {
            arena.close();
            throw failure;
        } catch (NoSuchFileException missing) {
            arena.close();
            throw new ModelLoadException("file " + missing.getFile() + " does not exist");
        } catch (IOException failure) {
            arena.close();
            throw new ModelLoadException(path + ": " + failure.getMessage(), failure);
        } catch (IllegalArgumentException | IllegalStateException | IndexOutOfBoundsException | ClassCastException bad) {
            arena.close();
            throw new ModelLoadException(path.getFileName() + ": " + bad.getMessage(), bad);
        }
    }

    private static boolean isGguf(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && ByteBuffer.wrap(magic).order(ByteOrder.LITTLE_ENDIAN).getInt() == GgufFile.MAGIC;
        }
    }

    public Path path() {
        return path;
    }

    /** Whether the weights are read from a mapping of the file (true) or were read into memory ({@code --no-mmap}). */
    public boolean weightsMapped() {
        return weightsMapped;
    }

    /** The name services report for the model: its file name without the extension ({@code stories260K-f32}). */
    public String name() {
        String file = path.getFileName().toString();
        int dot = file.lastIndexOf('.');
        return dot > 0 ? file.substring(0, dot) : file;
    }

    public ModelFormat format() {
        return loaded.format();
    }

    public ModelConfig config() {
        return loaded.config();
    }

    public ModelWeights weights() {
        return loaded.weights();
    }

    public Tokenizer tokenizer() {
        return loaded.tokenizer();
    }

    /** The GGUF metadata (empty for llama2.c checkpoints). */
    public GgufMetadata metadata() {
        return loaded.metadata();
    }

    /** Releases the mapping of the weights. */
    @Override
    public void close() {
        arena.close();
    }
}
