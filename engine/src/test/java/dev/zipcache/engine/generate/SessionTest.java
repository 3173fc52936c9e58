package dev.zipcache.engine.generate;

import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.sampling.SamplingParameters;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sessions: streaming, cancellation, reuse of the cache by a follow-up prompt, and context limits. */
class SessionTest {

    static Model model;

    @BeforeAll
    static void load() {
        model = Model.load(SharedFiles.file("models/stories260K/stories260K.bin"));
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static Session open() {
        return Session.open(model, SessionOptions.defaults().withKvCache("fp32").withThreads(2));
    }

    @Test
    void streamedPiecesAddUpToTheResultText() {
        try (Session session = open()) {
            StringBuilder streamed = new StringBuilder();
            GenerationResult result = session.generate(GenerationRequest.of("Lily saw a cat", 40),
                    (token, text) -> streamed.append(text));
            assertThat(streamed.toString()).isEqualTo(result.text()).isNotEmpty();
        }
    }

    @Test
    void cancellationStopsAfterTheTokenInProgress() {
        try (Session session = open()) {
            CancellationToken cancellation = new CancellationToken();
            int[] seen = {0};
            GenerationResult result = session.generate(GenerationRequest.of("Once upon a time", 100)
                    .withCancellation(cancellation), (token, text) -> {
                        if (++seen[0] == 5) {
                            cancellation.cancel();
                        }
                    });
            assertThat(result.finishReason()).isEqualTo(FinishReason.CANCELLED);
            assertThat(result.generatedTokenIds()).hasSize(5);
        }
    }

    @Test
    void aFollowUpPromptThatExtendsTheConversationPrefillsOnlyItsNewTokens() {
        try (Session session = open(); Session fresh = open()) {
            GenerationResult first = session.generate(GenerationRequest.of("Tom had a red ball", 12),
                    TokenListener.NONE);
            int[] history = concat(first.promptTokenIds(), first.generatedTokenIds());
            int[] followUp = concat(history, model.tokenizer().encode(" Then he ran", false));
            GenerationResult second = session.generate(new GenerationRequest(null, followUp, 10,
                    SamplingParameters.GREEDY,
                    List.of(), Set.of(), true, null), TokenListener.NONE);
            // Every token that was run before is reused: all of the history but the last sampled token.
            assertThat(second.usage().cachedPromptTokens()).isEqualTo(history.length - 1);
            assertThat(second.timings().prefilledTokens()).isEqualTo(followUp.length - (history.length - 1));
            GenerationResult reference = fresh.generate(new GenerationRequest(null, followUp, 10,
                    SamplingParameters.GREEDY, List.of(), Set.of(),
                    true, null), TokenListener.NONE);
            assertThat(second.generatedTokenIds()).containsExactly(reference.generatedTokenIds());
        }
    }

    @Test
    void aPromptThatFillsTheContextIsRejectedAndGenerationStopsAtTheEdge() {
        try (Session session = open()) {
            int context = model.config().contextLength();
            int[] tooLong = new int[context + 1];
            Arrays.fill(tooLong, 300);
            assertThatThrownBy(() -> session.generate(new GenerationRequest(null, tooLong, 5,
                    SamplingParameters.GREEDY, List.of(), Set.of(),
                    true, null), TokenListener.NONE)).isInstanceOf(ContextOverflowException.class)
                    .hasMessageContaining("context of " + context);
            int[] nearlyFull = Arrays.copyOf(tooLong, context - 3);
            GenerationResult result = session.generate(new GenerationRequest(null, nearlyFull, 50,
                    SamplingParameters.GREEDY, List.of(),
                    Set.of(1, 2), true, null), TokenListener.NONE);
            assertThat(result.finishReason()).isIn(FinishReason.LENGTH, FinishReason.STOP);
            assertThat(result.cacheStats().tokens()).isLessThanOrEqualTo(context);
        }
    }

    private static int[] concat(int[] first, int[] second) {
        int[] all = Arrays.copyOf(first, first.length + second.length);
        System.arraycopy(second, 0, all, first.length, second.length);
        return all;
    }
}
