package dev.zipcache.cli;

import dev.zipcache.engine.evaluate.DocumentSplitter;
import dev.zipcache.engine.evaluate.PerplexityOptions;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** The options of the perplexity protocol, shared by {@code perplexity} and {@code eval}. */
final class ScoringOptions {

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "TEXT",
            description = "the text to score (UTF-8), documents separated by separator lines")
    Path textFile;

    @Option(names = "--documents", paramLabel = "N", description = "score only the first N documents (default: all)")
    Integer documents;

    @Option(names = "--prefill", defaultValue = "0.5", paramLabel = "F",
            description = "share of each document prefilled as an unscored prompt, in [0, 1); 0 scores every token "
                    + "after BOS (default: ${DEFAULT-VALUE})")
    double prefillFraction;

    @Option(names = "--separator", defaultValue = DocumentSplitter.END_OF_TEXT, paramLabel = "LINE",
            description = "the line that ends a document (default: ${DEFAULT-VALUE})")
    String separator;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "compute threads (default: all cores)")
    Integer threads;

    /** The protocol's options for {@code kvCache}; bad values are usage errors, found before anything is loaded. */
    PerplexityOptions toOptions(String kvCache) {
        if (documents != null && documents < 1) {
            throw new UsageException("--documents must be at least 1");
        }
        if (!(prefillFraction >= 0 && prefillFraction < 1)) {
            throw new UsageException("--prefill must be in [0, 1), got " + prefillFraction);
        }
        if (separator.isBlank()) {
            throw new UsageException("--separator must not be blank");
        }
        int threadCount = threads == null ? Runtime.getRuntime().availableProcessors() : threads;
        if (threadCount < 1) {
            throw new UsageException("--threads must be at least 1");
        }
        try {
            return new PerplexityOptions(kvCache, prefillFraction, documents == null ? Integer.MAX_VALUE : documents,
                    separator, threadCount);
        } catch (IllegalArgumentException bad) {
            throw new UsageException(bad.getMessage());
        }
    }

    /** The text, which must exist and not be blank. */
    String readText() {
        try {
            String text = Files.readString(textFile);
            if (text.isBlank()) {
                throw new IllegalArgumentException("text file " + textFile + " is empty");
            }
            return text;
        } catch (NoSuchFileException missing) {
            throw new IllegalArgumentException("text file " + textFile + " does not exist");
        } catch (IOException failure) {
            throw new IllegalArgumentException("cannot read text file " + textFile + ": " + failure.getMessage());
        }
    }
}
