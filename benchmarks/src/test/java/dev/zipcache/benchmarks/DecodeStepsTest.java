package dev.zipcache.benchmarks;

import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every run decodes the tokens a session alone does, and times each step. */
class DecodeStepsTest {

    @TempDir
    Path folder;

    @Test
    void eachRunStartsAfreshAndTimesEveryStep() throws IOException {
        Path file = folder.resolve("model.gguf");
        SyntheticModel.write(SyntheticModelTest.TEST_SHAPE, GgmlType.Q8_0, 5, file);
        int promptTokens = 120;
        int steps = 10;
        try (Model model = Model.load(file)) {
            List<DecodeSteps.Run> runs = DecodeSteps.run(model, promptTokens, steps, "zipcache", 2, 3);
            int[] alone = AlternatingDecodeTest.aloneTokens(model, "zipcache", promptTokens, steps);
            assertThat(runs).hasSize(3).allSatisfy(run -> {
                assertThat(run.prefillSeconds()).isPositive();
                assertThat(run.steps().nanos()).hasSize(steps);
                assertThat(Arrays.stream(run.steps().nanos()).min().orElseThrow()).isPositive();
                assertThat(run.steps().tokens()).containsExactly(alone);
            });
        }
    }

    @Test
    void rejectsAnEmptyRun() {
        assertThatThrownBy(() -> DecodeSteps.run(null, 8, 4, "fp16", 2, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("run");
    }
}
