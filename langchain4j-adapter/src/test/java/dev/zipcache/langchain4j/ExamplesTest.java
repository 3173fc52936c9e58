package dev.zipcache.langchain4j;

import dev.zipcache.langchain4j.example.AiServicesExample;
import dev.zipcache.langchain4j.example.PlainJavaExample;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's examples run as written, on the real model. */
class ExamplesTest {

    private static String run(ThrowingMain main) throws Exception {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            main.run(new String[] {Stories.path().toString()});
        } finally {
            System.setOut(original);
        }
        String output = captured.toString(StandardCharsets.UTF_8);
        original.print(output);
        return output;
    }

    private interface ThrowingMain {
        void run(String[] args) throws Exception;
    }

    @Test
    void plainJavaExampleRuns() throws Exception {
        String output = run(PlainJavaExample::main);
        assertThat(output).contains("answer: ", "streamed:", "from the cache", "smaller than fp16");
    }

    @Test
    void aiServicesExampleRuns() throws Exception {
        String output = run(AiServicesExample::main);
        assertThat(output).contains("> Tell me about a girl named Lily.", "> How did it end?");
    }
}
