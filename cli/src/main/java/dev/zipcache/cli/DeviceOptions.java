package dev.zipcache.cli;

import dev.zipcache.engine.compute.ComputeBackend;
import dev.zipcache.engine.generate.SessionOptions;
import picocli.CommandLine.Option;

/** {@code --device}: the compute backend, shared by every command that runs the model. */
final class DeviceOptions {

    @Option(names = "--device", defaultValue = SessionOptions.DEFAULT_DEVICE, paramLabel = "NAME",
            description = "compute backend: cpu or cuda (an NVIDIA GPU: weights and the fp16 KV cache on the GPU; "
                    + "other caches stay on the CPU, which attends over them) (default: ${DEFAULT-VALUE})")
    String device;

    /**
     * The device's name after checking that such a backend exists; whether its hardware is present is found when the
     * session opens (a runtime error, exit 1).
     *
     * @throws UsageException for an unknown name
     */
    String validated() {
        try {
            return ComputeBackend.named(device).name();
        } catch (IllegalArgumentException unknown) {
            throw new UsageException("--device: " + unknown.getMessage());
        }
    }
}
