package dev.zipcache.cli;

import dev.zipcache.engine.compute.ComputeBackend;
import dev.zipcache.engine.compute.DeviceUnavailableException;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code --device} on the commands that run the model: cpu by default, cuda found on the class path. */
class DeviceOptionTest {

    @TempDir
    Path folder;

    private static final String MODEL = "models/stories260K/stories260K-f32.gguf";

    /** Whether a CUDA device opens on this machine (the no-GPU tests below need it not to). */
    private static boolean gpuPresent() {
        try (Model model = Model.load(SharedFiles.file(MODEL));
             Session session = Session.open(model, SessionOptions.defaults().withDevice("cuda"))) {
            return session != null;
        } catch (DeviceUnavailableException missing) {
            return false;
        }
    }

    @Test
    void theCpuIsTheDefaultAndBothBackendsAreOnTheClassPath() {
        assertThat(ComputeBackend.available()).extracting(ComputeBackend::name).containsExactly("cpu", "cuda");
        CliRun run = CliRun.of("generate", "-m", SharedFiles.file(MODEL).toString(), "-p", "Once", "-n", "3",
                "--temperature", "0", "--device", "cpu");
        assertThat(run.exitCode()).as(run.err()).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"generate", "chat", "perplexity", "bench"})
    void anUnknownDeviceIsAUsageError(String command) throws IOException {
        Path text = Files.writeString(folder.resolve("text.txt"), "Once upon a time.\n");
        CliRun run = command.equals("perplexity")
                ? CliRun.of(command, "-m", SharedFiles.file(MODEL).toString(), "--file", text.toString(), "--device",
                        "tpu")
                : CliRun.of(command, "-m", SharedFiles.file(MODEL).toString(), "--device", "tpu");
        assertThat(run.exitCode()).as(run.err()).isEqualTo(ZipcacheCommand.USAGE_ERROR);
        assertThat(run.err()).contains("--device: unknown device 'tpu'; available: cpu, cuda");
    }

    @ParameterizedTest
    @ValueSource(strings = {"generate", "bench"})
    void cudaWithoutADriverIsOneClearLineAndExitOne(String command) {
        Assumptions.assumeFalse(gpuPresent(), "a CUDA device is present: the no-driver path is not testable here");
        String[] args = command.equals("bench")
                ? new String[] {"bench", "-m", SharedFiles.file(MODEL).toString(), "-p", "16", "-n", "2", "-r", "1",
                        "--device", "cuda"}
                : new String[] {"generate", "-m", SharedFiles.file(MODEL).toString(), "-p", "Once", "--device",
                        "cuda"};
        CliRun run = CliRun.of(args);
        assertThat(run.exitCode()).as(run.err()).isEqualTo(ZipcacheCommand.RUNTIME_ERROR);
        assertThat(run.errorLines()).as(run.err()).isEqualTo(1);
        assertThat(run.err()).startsWith("zipcache " + command + ": error: CUDA is not available")
                .contains("use --device cpu").doesNotContain("\tat ");
    }
}
