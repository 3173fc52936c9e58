package dev.zipcache.engine.gguf;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A model file's bytes as one off-heap segment: a read-only memory mapping (fast to open, shared with the page cache
 * and other processes), or a copy read into memory the arena owns (what llama.cpp's {@code --no-mmap} does). On some
 * machines mapped pages are markedly slower to stream through than anonymous memory: on this project's benchmark VM,
 * decoding a ~1B F16 model ran at half the speed from the mapping (README, "Performance").
 */
public final class FileImage {

    /** Bytes per read call: a ByteBuffer view holds at most 2 GiB. */
    private static final long CHUNK = 1L << 30;

    private FileImage() {
    }

    /**
     * The file at {@code path}, mapped or read; either lives as long as {@code arena}.
     *
     * @param mapped true to map the file, false to read it into memory
     */
    public static MemorySegment of(Path path, Arena arena, boolean mapped) throws IOException {
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = channel.size();
            if (mapped) {
                return channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            }
            MemorySegment image = arena.allocate(Math.max(size, 1), 64).asSlice(0, size);
            for (long done = 0; done < size; ) {
                int read = channel.read(image.asSlice(done, Math.min(CHUNK, size - done)).asByteBuffer(), done);
                if (read < 0) {
                    throw new IOException(path + " ended after " + done + " of " + size + " bytes while being read");
                }
                done += read;
            }
            return image;
        }
    }
}
