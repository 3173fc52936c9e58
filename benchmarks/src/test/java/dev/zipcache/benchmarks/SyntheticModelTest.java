package dev.zipcache.benchmarks;

import dev.zipcache.engine.generate.GenerationRequest;
import dev.zipcache.engine.generate.GenerationResult;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.generate.TokenListener;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** Generated files load as the shape says and generate the same tokens for the same seed. */
class SyntheticModelTest {

    /** A few-hundred-kilobyte Llama shape (2 layers, 4 heads, 2 KV heads of 32): what the benchmark tests run on. */
    static final SyntheticModel.Shape TEST_SHAPE = new SyntheticModel.Shape("test", 128, 320, 2, 4, 2, 512, 256);

    @TempDir
    Path folder;

    @Test
    void writesALoadableModelOfTheRequestedShape() throws IOException {
        SyntheticModel.Shape shape = TEST_SHAPE;
        Path q8 = folder.resolve("q8.gguf");
        SyntheticModel.write(shape, GgmlType.Q8_0, 7, q8);
        Path again = folder.resolve("again.gguf");
        SyntheticModel.write(shape, GgmlType.Q8_0, 7, again);
        assertThat(Files.mismatch(q8, again)).isEqualTo(-1L);
        try (Model model = Model.load(q8);
             Session session = Session.open(model, SessionOptions.defaults().withThreads(2))) {
            assertThat(model.config().kvHeads()).isEqualTo(2);
            assertThat(model.config().headDimension()).isEqualTo(32);
            assertThat(model.weights().layers().getFirst().queryProjection().type()).isEqualTo(GgmlType.Q8_0);
            GenerationResult result = session.generate(GenerationRequest.of("a b c", 16), TokenListener.NONE);
            assertThat(result.generatedTokenIds()).hasSizeLessThanOrEqualTo(16);
            assertThat(result.usage().promptTokens()).isGreaterThan(1);
        }
    }
}
