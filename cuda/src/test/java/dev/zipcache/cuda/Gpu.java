package dev.zipcache.cuda;

import dev.zipcache.engine.compute.DeviceUnavailableException;
import org.junit.jupiter.api.Assumptions;

/** The GPU for device tests, or a skip with the reason. CI never has a GPU, so a skip is never a failure there. */
final class Gpu {

    private Gpu() {
    }

    /** Whether a CUDA device opens here. */
    static boolean present() {
        try {
            CudaBackend.device();
            return true;
        } catch (DeviceUnavailableException missing) {
            return false;
        }
    }

    /** The shared device, or skips the test with the reason it is unavailable. */
    static Device deviceOrSkip() {
        try {
            return CudaBackend.device();
        } catch (DeviceUnavailableException missing) {
            Assumptions.abort("no CUDA device, skipping a GPU test: " + missing.getMessage());
            throw new AssertionError("unreachable");
        }
    }
}
