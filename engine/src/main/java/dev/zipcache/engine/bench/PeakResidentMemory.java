package dev.zipcache.engine.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's peak resident set size, VmHWM in {@code /proc/self/status} (Linux). It is a high-water mark of the
 * whole process: it never goes down, so a benchmark row reports the peak of everything run before it as well.
 */
final class PeakResidentMemory {

    private static final Path STATUS = Path.of("/proc/self/status");
    private static final String FIELD = "VmHWM:";

    private PeakResidentMemory() {
    }

    /** The peak in bytes, or -1 where the platform does not report it. */
    static long bytes() {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(FIELD)) {
                    return parseKibibytes(line.substring(FIELD.length()));
                }
            }
        } catch (IOException | RuntimeException unavailable) {
            // Not Linux, or a /proc we cannot read: the row says "unknown" rather than failing the benchmark.
        }
        return -1;
    }

    /** {@code "   123456 kB"}: the kernel's "kB" are kibibytes. */
    static long parseKibibytes(String value) {
        String trimmed = value.strip();
        if (!trimmed.endsWith("kB")) {
            throw new IllegalArgumentException("unexpected VmHWM value '" + trimmed + "'");
        }
        return Long.parseLong(trimmed.substring(0, trimmed.length() - 2).strip()) * 1024;
    }
}
