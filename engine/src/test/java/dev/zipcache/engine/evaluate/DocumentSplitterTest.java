package dev.zipcache.engine.evaluate;

import org.junit.jupiter.api.Test;

import static dev.zipcache.engine.evaluate.DocumentSplitter.END_OF_TEXT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Splitting an evaluation text into documents on separator lines. */
class DocumentSplitterTest {

    @Test
    void splitsOnSeparatorLinesAndStripsEachDocument() {
        String text = "  One story.\nIts second line.\n" + END_OF_TEXT + "\n\nTwo.\n" + END_OF_TEXT + "\n";
        assertThat(DocumentSplitter.split(text, END_OF_TEXT)).containsExactly("One story.\nIts second line.", "Two.");
    }

    @Test
    void dropsEmptyDocuments() {
        String text = END_OF_TEXT + "\n \n" + END_OF_TEXT + "\nA\n" + END_OF_TEXT + "\n" + END_OF_TEXT + "\n\t\n";
        assertThat(DocumentSplitter.split(text, END_OF_TEXT)).containsExactly("A");
        assertThat(DocumentSplitter.split("", END_OF_TEXT)).isEmpty();
        assertThat(DocumentSplitter.split(" \n\n", END_OF_TEXT)).isEmpty();
    }

    @Test
    void aSeparatorLineMayCarrySurroundingWhitespaceAndCrlf() {
        String text = "A\r\n  " + END_OF_TEXT + " \r\nB\r\n" + END_OF_TEXT + "\r\n";
        assertThat(DocumentSplitter.split(text, END_OF_TEXT)).containsExactly("A", "B");
    }

    @Test
    void aSeparatorInsideALineIsText() {
        String text = "A " + END_OF_TEXT + " B\n" + END_OF_TEXT;
        assertThat(DocumentSplitter.split(text, END_OF_TEXT)).containsExactly("A " + END_OF_TEXT + " B");
    }

    @Test
    void theLastDocumentNeedsNoSeparatorAndLineEndingsInsideAreKept() {
        assertThat(DocumentSplitter.split("A\r\nB\n===\nC\rD", "===")).containsExactly("A\r\nB", "C\rD");
    }

    @Test
    void aBlankSeparatorIsRejected() {
        assertThatThrownBy(() -> DocumentSplitter.split("A", " ")).isInstanceOf(IllegalArgumentException.class);
    }
}
