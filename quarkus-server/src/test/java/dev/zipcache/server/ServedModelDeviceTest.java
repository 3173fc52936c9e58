package dev.zipcache.server;

import dev.zipcache.engine.compute.DeviceUnavailableException;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** {@code zipcache.device}: a wrong name or a missing GPU stops the start-up with one clear message. */
class ServedModelDeviceTest {

    private static ServerConfig config(Path model, String device) {
        return new ServerConfig() {
            public ModelSettings model() {
                return new ModelSettings() {
                    public Path path() {
                        return model;
                    }

                    public Optional<String> id() {
                        return Optional.empty();
                    }

                    public boolean mmap() {
                        return true;
                    }
                };
            }

            public String kvCache() {
                return "fp16";
            }

            public String device() {
                return device;
            }

            public OptionalInt threads() {
                return OptionalInt.of(1);
            }

            public int maxConcurrent() {
                return 1;
            }

            public int maxQueue() {
                return 0;
            }

            public Optional<String> apiKey() {
                return Optional.empty();
            }

            public int retryAfterSeconds() {
                return 1;
            }

            public VectorSettings vector() {
                return OptionalInt::empty;
            }
        };
    }

    @Test
    void anUnknownDeviceFailsBeforeTheModelLoadsAndListsTheKnownOnes() {
        assertThatThrownBy(() -> new ServedModel(config(Path.of("never-read.gguf"), "tpu")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown device 'tpu'")
                .hasMessageContaining("cpu")
                .hasMessageContaining("cuda");
    }

    @Test
    void cudaStartsOnAGpuAndOtherwiseSaysWhyAtStartUp() {
        Path model = Path.of(System.getProperty("shared.folder", "../../shared"),
                "models/stories260K/stories260K-f32.gguf");
        if (!"true".equals(System.getenv("CI"))) {
            assumeTrue(Files.isRegularFile(model), "../shared is absent: " + model);
        }
        try {
            ServedModel served = new ServedModel(config(model, "cuda"));
            assertThat(served.pool().idleCacheStats()).hasSize(1); // a GPU machine: the first session is open
            served.close();
        } catch (DeviceUnavailableException noGpu) {
            assertThat(noGpu.getMessage()).contains("CUDA is not available").doesNotContain("\n");
        }
    }
}
