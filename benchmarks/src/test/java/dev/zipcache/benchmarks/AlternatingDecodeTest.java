package dev.zipcache.benchmarks;

import dev.zipcache.engine.bench.BenchmarkRunner;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.sampling.Sampler;
import dev.zipcache.engine.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Sessions taking decode steps in turn on one model give each the tokens it gives alone, and time every step. */
class AlternatingDecodeTest {

    @TempDir
    Path folder;

    @Test
    void alternatingSessionsDecodeAsAlone() throws IOException {
        Path file = folder.resolve("model.gguf");
        SyntheticModel.write(SyntheticModelTest.TEST_SHAPE, GgmlType.Q8_0, 3, file);
        int promptTokens = 40;
        int steps = 12;
        try (Model model = Model.load(file)) {
            List<AlternatingDecode.Steps> results = AlternatingDecode.run(model, promptTokens, steps,
                    List.of("fp16", "zipcache"), 2);
            assertThat(results).extracting(AlternatingDecode.Steps::cache).containsExactly("fp16", "zipcache");
            for (AlternatingDecode.Steps result : results) {
                assertThat(result.nanos()).hasSize(steps);
                assertThat(Arrays.stream(result.nanos()).min().orElseThrow()).isPositive();
                assertThat(result.outliers()).allSatisfy(step -> assertThat(result.nanos()[step] / 1e6)
                        .isGreaterThan(3 * result.medianMillis()));
                assertThat(result.tokens()).containsExactly(aloneTokens(model, result.cache(), promptTokens, steps));
            }
        }
    }

    /** The greedy tokens one session decodes by itself: what each step of an alternating run was fed. */
    static int[] aloneTokens(Model model, String cache, int promptTokens, int steps) {
        int vocabulary = model.config().vocabularySize();
        try (Session session = Session.open(model, SessionOptions.defaults().withThreads(2).withKvCache(cache))) {
            int[] tokens = new int[steps];
            int next = Sampler.argMax(session.prefill(BenchmarkRunner.promptTokens(model, promptTokens)), vocabulary);
            for (int step = 0; step < steps; step++) {
                tokens[step] = next;
                next = Sampler.argMax(session.decode(next), vocabulary);
            }
            return tokens;
        }
    }
}
