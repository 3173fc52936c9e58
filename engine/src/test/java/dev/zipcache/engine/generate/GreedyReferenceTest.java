package dev.zipcache.engine.generate;

import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.testing.ReferenceCases;
import dev.zipcache.engine.testing.ReferenceCases.GreedyCase;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Greedy generation reproduces the independent reference implementation token for token (reference.json), for both
 * real llama2.c checkpoints (GQA stories260K and multi-head aidreams260K) and llama.cpp-verified GGUF, with the weights
 * mapped from the file and read into memory ({@code --no-mmap}).
 */
class GreedyReferenceTest {

    static Stream<Arguments> cases() {
        return Stream.of(
                        ReferenceCases.greedy("stories260K").stream().map(c -> Arguments.of("stories260K/stories260K.bin", c)),
                        ReferenceCases.greedy("stories260K").stream().map(c -> Arguments.of("stories260K/stories260K-f32.gguf", c)),
                        ReferenceCases.greedy("aidreams260K").stream().map(c -> Arguments.of("aidreams260K/aidreams260K.bin", c)))
                .flatMap(s -> s)
                .flatMap(arguments -> Stream.of(true, false).map(mapped -> Arguments.of(arguments.get()[0],
                        arguments.get()[1], mapped)));
    }

    @ParameterizedTest(name = "{0} (mapped: {2}): {1}")
    @MethodSource("cases")
    void reproducesReferenceTokens(String modelFile, GreedyCase reference, boolean mapped) {
        Path path = SharedFiles.file("models/" + modelFile);
        try (Model model = Model.load(path, null, mapped);
             Session session = Session.open(model, SessionOptions.defaults().withKvCache("fp32").withThreads(2))) {
            // BOS ends a story in llama2.c's run.c; the GGUF's own end token is EOS, so ask for BOS explicitly.
            GenerationRequest request = GenerationRequest.of(reference.prompt(), reference.maxNewTokens())
                    .withStopTokens(Set.of(1));
            GenerationResult result = session.generate(request, TokenListener.NONE);

            assertThat(result.promptTokenIds()).containsExactly(reference.promptTokenIds());
            int[] expected = reference.generatedTokenIds();
            boolean stoppedAtBos = expected.length > 0 && expected[expected.length - 1] == 1;
            int[] expectedGenerated = stoppedAtBos ? Arrays.copyOf(expected, expected.length - 1) : expected;
            assertThat(result.generatedTokenIds()).containsExactly(expectedGenerated);
            String promptText = model.tokenizer().decode(result.promptTokenIds());
            assertThat(promptText + result.text()).isEqualTo(reference.text());
        }
    }
}
