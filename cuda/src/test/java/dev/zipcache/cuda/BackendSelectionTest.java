package dev.zipcache.cuda;

import dev.zipcache.engine.compute.ComputeBackend;
import dev.zipcache.engine.compute.DeviceUnavailableException;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The backend is found by name on the class path, and without a GPU says so in one line. */
class BackendSelectionTest {

    @Test
    void cudaIsFoundByNameNextToTheCpu() {
        assertThat(ComputeBackend.available()).extracting(ComputeBackend::name).containsExactly("cpu", "cuda");
        assertThat(ComputeBackend.named("CUDA")).isInstanceOf(CudaBackend.class);
        assertThatThrownBy(() -> ComputeBackend.named("tpu"))
                .hasMessage("unknown device 'tpu'; available: cpu, cuda");
    }

    @Test
    void theDriverProblemIsTheLineThatNamesLibcuda() {
        assertThat(JCudaDevice.driverProblem("Error while loading native library \"JCudaDriver\"\nnested:\n"
                + "java.lang.UnsatisfiedLinkError: /tmp/libJCudaDriver.so: libcuda.so.1: cannot open shared object "
                + "file: No such file or directory\n\tat x"))
                .isEqualTo("libcuda.so.1: cannot open shared object file: No such file or directory");
        assertThat(JCudaDevice.driverProblem("other\nlines")).isEqualTo("other");
    }

    @Test
    void withoutADriverASessionOnCudaFailsWithOneClearLine() {
        Assumptions.assumeFalse(Gpu.present(), "a CUDA device is present: the no-driver path is not testable here");
        try (Model model = Model.load(SharedFiles.file("models/stories260K/stories260K-f32.gguf"))) {
            assertThatThrownBy(() -> Session.open(model, SessionOptions.defaults().withDevice("cuda")))
                    .isInstanceOf(DeviceUnavailableException.class)
                    .hasMessageStartingWith("CUDA is not available")
                    .hasMessageEndingWith("use --device cpu")
                    .satisfies(failure -> assertThat(failure.getMessage()).doesNotContain("\n"));
        }
    }
}
