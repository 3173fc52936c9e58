package dev.zipcache.engine.testing;

import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds the read-only shared folder of real model files and data ({@code ../shared} beside the repository). Where it
 * is absent a test is skipped with a message, except under CI ({@code CI=true}), where its absence fails the test so
 * that nothing is skipped silently.
 */
public final class SharedFiles {

    private SharedFiles() {
    }

    /** The shared folder; skips (or fails under CI) when it is missing. */
    public static Path root() {
        String configured = System.getProperty("zipcache.shared");
        Path root = configured != null ? Path.of(configured) : Path.of("..", "shared");
        if (!Files.isDirectory(root)) {
            root = Path.of("..", "..", "shared");
        }
        if (Files.isDirectory(root.resolve("models"))) {
            return root.toAbsolutePath().normalize();
        }
        String message = "the shared model folder is missing (looked for " + root.toAbsolutePath().normalize() + ")";
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError(message + "; CI must provide it");
        }
        Assumptions.abort(message + "; skipping a test that needs real model files");
        throw new AssertionError("unreachable");
    }

    /** A file under the shared folder, e.g. {@code models/stories260K/stories260K.bin}. */
    public static Path file(String relative) {
        Path file = root().resolve(relative);
        if (!Files.exists(file)) {
            throw new AssertionError("shared file " + file + " is missing");
        }
        return file;
    }
}
