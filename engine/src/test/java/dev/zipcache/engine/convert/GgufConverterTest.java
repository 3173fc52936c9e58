package dev.zipcache.engine.convert;

import dev.zipcache.engine.generate.GenerationRequest;
import dev.zipcache.engine.generate.GenerationResult;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.generate.TokenListener;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.model.ModelFormat;
import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.testing.ReferenceCases;
import dev.zipcache.engine.testing.ReferenceCases.GreedyCase;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code zipcache convert}: llama2.c checkpoint → GGUF that generates the reference tokens. */
class GgufConverterTest {

    @TempDir
    static Path folder;
    static Path checkpoint;
    static List<GreedyCase> cases;

    @BeforeAll
    static void locate() {
        checkpoint = SharedFiles.file("models/stories260K/stories260K.bin");
        cases = ReferenceCases.greedy("stories260K");
    }

    private static Path convert(GgmlType type) throws IOException {
        Path output = folder.resolve("stories260K-" + type.name().toLowerCase() + ".gguf");
        try (Model model = Model.load(checkpoint)) {
            GgufConverter.Report report = GgufConverter.convert(model, type, output);
            assertThat(report.tensorTypes()).containsEntry("blk.0.attn_q.weight", type);
        }
        return output;
    }

    private static int[] greedy(Path modelFile, GreedyCase reference) {
        try (Model model = Model.load(modelFile);
             Session session = Session.open(model, SessionOptions.defaults().withKvCache("fp32").withThreads(1))) {
            GenerationResult result = session.generate(GenerationRequest.of(reference.prompt(),
                    reference.maxNewTokens()).withStopTokens(Set.of(1)), TokenListener.NONE);
            assertThat(result.promptTokenIds()).containsExactly(reference.promptTokenIds());
            return result.generatedTokenIds();
        }
    }

    @Test
    void f32ConversionReproducesEveryReferenceCase() throws IOException {
        Path gguf = convert(GgmlType.F32);
        try (Model model = Model.load(gguf)) {
            assertThat(model.format()).isEqualTo(ModelFormat.GGUF);
            assertThat(model.config().kvHeads()).isEqualTo(4);
            assertThat(model.tokenizer().piece(1)).isEqualTo("<s>");
        }
        for (GreedyCase reference : cases) {
            assertThat(greedy(gguf, reference)).as(reference.prompt()).containsExactly(reference.generatedTokenIds());
        }
    }

    @Test
    void q8_0ConversionAgreesOnTheFirstTwentyTokens() throws IOException {
        Path gguf = convert(GgmlType.Q8_0);
        try (Model model = Model.load(gguf)) {
            // ffn_down rows hold 172 elements, not a multiple of 32: llama.cpp-style fallback to F16.
            assertThat(model.weights().layers().getFirst().downProjection().type()).isEqualTo(GgmlType.F16);
            assertThat(model.weights().tokenEmbedding().type()).isEqualTo(GgmlType.Q8_0);
        }
        for (GreedyCase reference : cases) {
            int[] generated = greedy(gguf, reference);
            assertThat(Arrays.copyOf(generated, 20)).as(reference.prompt())
                    .containsExactly(Arrays.copyOf(reference.generatedTokenIds(), 20));
        }
    }

    @Test
    void q4_0AndF16ConversionsLoadAndGenerate() throws IOException {
        for (GgmlType type : List.of(GgmlType.Q4_0, GgmlType.F16)) {
            Path gguf = convert(type);
            int[] generated = greedy(gguf, cases.getFirst());
            assertThat(generated).hasSize(cases.getFirst().generatedTokenIds().length);
        }
    }

    @Test
    void rejectsATypeItCannotWrite() {
        try (Model model = Model.load(checkpoint)) {
            assertThatThrownBy(() -> GgufConverter.convert(model, GgmlType.Q6_K, folder.resolve("x.gguf")))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Q6_K");
        }
    }
}
