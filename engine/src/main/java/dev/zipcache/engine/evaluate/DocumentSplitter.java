package dev.zipcache.engine.evaluate;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits an evaluation text into documents the way the TinyStories files are laid out: a line that holds only the
 * separator ({@code <|endoftext|>}) ends a document. A separator line may carry surrounding whitespace (a trailing
 * space or the {@code \r} of a CRLF file), but a separator inside a line of text is text. Each document is stripped
 * of leading and trailing whitespace and empty ones are dropped; the text between separators is otherwise kept
 * byte for byte, line endings included, so that it tokenizes as written.
 */
public final class DocumentSplitter {

    /** The TinyStories separator. */
    public static final String END_OF_TEXT = "<|endoftext|>";

    private DocumentSplitter() {
    }

    /**
     * The documents of {@code text}, in order.
     *
     * @throws IllegalArgumentException when the separator is blank
     */
    public static List<String> split(String text, String separator) {
        if (separator == null || separator.isBlank()) {
            throw new IllegalArgumentException("the document separator must not be blank");
        }
        String marker = separator.strip();
        List<String> documents = new ArrayList<>();
        int documentStart = 0;
        int lineStart = 0;
        int length = text.length();
        while (lineStart < length) {
            int lineEnd = lineStart;
            while (lineEnd < length && text.charAt(lineEnd) != '\n' && text.charAt(lineEnd) != '\r') {
                lineEnd++;
            }
            int next = lineEnd;
            if (next < length && text.charAt(next) == '\r') {
                next++;
            }
            if (next < length && text.charAt(next) == '\n') {
                next++;
            }
            if (next == lineEnd) {
                next = length;  // the last line has no line ending
            }
            if (text.substring(lineStart, lineEnd).strip().equals(marker)) {
                add(documents, text.substring(documentStart, lineStart));
                documentStart = next;
            }
            lineStart = next;
        }
        add(documents, text.substring(documentStart));
        return documents;
    }

    private static void add(List<String> documents, String raw) {
        String document = raw.strip();
        if (!document.isEmpty()) {
            documents.add(document);
        }
    }
}
