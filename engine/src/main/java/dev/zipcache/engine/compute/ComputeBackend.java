package dev.zipcache.engine.compute;

import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.model.ModelWeights;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.ServiceLoader;
import java.util.stream.Collectors;

/**
 * A compute backend, selected by name ({@code cpu}, {@code cuda}): it opens {@link ForwardPass}es on its device. The
 * CPU backend is built in and the default; others are found on the class path through {@link ServiceLoader}, so the
 * engine itself depends on no GPU library (ARCHITECTURE.md "Compute backends").
 */
public interface ComputeBackend {

    /** The name of the built-in backend, the default. */
    String CPU = "cpu";

    /** The name users select the backend by ({@code --device NAME}). */
    String name();

    /** One line for listings. */
    String description();

    /**
     * Opens a forward pass of one sequence on this backend's device.
     *
     * @param threads  CPU threads the pass may use
     * @param maxBatch prompt tokens per forward batch
     * @throws DeviceUnavailableException when the device or its driver is missing
     */
    ForwardPass open(ModelConfig config, ModelWeights weights, int threads, int maxBatch);

    /** The built-in CPU backend followed by every backend on the class path. */
    static List<ComputeBackend> available() {
        List<ComputeBackend> backends = new ArrayList<>();
        backends.add(new CpuBackend());
        for (ComputeBackend backend : ServiceLoader.load(ComputeBackend.class)) {
            if (!backend.name().equals(CPU)) {
                backends.add(backend);
            }
        }
        return backends;
    }

    /**
     * The backend called {@code name} (case-insensitive).
     *
     * @throws IllegalArgumentException listing the backends found when there is none by that name
     */
    static ComputeBackend named(String name) {
        String wanted = name.strip().toLowerCase(Locale.ROOT);
        List<ComputeBackend> backends = available();
        for (ComputeBackend backend : backends) {
            if (backend.name().equals(wanted)) {
                return backend;
            }
        }
        String hint = wanted.equals("cuda") ? " (the CUDA backend is the zipcache-cuda module; put its jar on the "
                + "class path)" : "";
        throw new IllegalArgumentException("unknown device '" + name + "'; available: "
                + backends.stream().map(ComputeBackend::name).collect(Collectors.joining(", ")) + hint);
    }
}
