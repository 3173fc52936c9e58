package dev.zipcache.cuda;

import dev.zipcache.engine.compute.ComputeBackend;
import dev.zipcache.engine.compute.DeviceUnavailableException;
import dev.zipcache.engine.compute.ForwardPass;
import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.model.ModelWeights;

import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The {@code cuda} compute backend ({@code --device cuda}), found by {@link java.util.ServiceLoader}. GPU 0 is opened
 * on first use and kept for the life of the process; a model's weights are uploaded when its first session opens and
 * freed when its last one closes.
 */
public final class CudaBackend implements ComputeBackend {

    /** The name users select this backend by. */
    public static final String NAME = "cuda";

    private static Device device;
    private static DeviceUnavailableException unavailable;
    private static final Map<ModelWeights, SharedWeights> MODELS = new IdentityHashMap<>();

    /** One model's weights on the device and how many passes use them. */
    private static final class SharedWeights {
        final DeviceWeights weights;
        int references;

        SharedWeights(DeviceWeights weights) {
            this.weights = weights;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "an NVIDIA GPU through the CUDA driver (JCuda); F32, F16, BF16, Q8_0, Q4_0 weights; fp16 KV cache on "
                + "the GPU, other caches on the host";
    }

    @Override
    public ForwardPass open(ModelConfig config, ModelWeights weights, int threads, int maxBatch) {
        synchronized (CudaBackend.class) {
            Device gpu = device();
            SharedWeights shared = MODELS.get(weights);
            if (shared == null) {
                shared = new SharedWeights(new DeviceWeights(gpu, config, weights));
                MODELS.put(weights, shared);
            }
            shared.references++;
            try {
                return new CudaForwardPass(gpu, shared.weights, () -> release(weights), config,
                        weights.ropeFrequencyDivisors(), Math.max(maxBatch, CudaForwardPass.MIN_MAX_BATCH),
                        CudaForwardPass.DEFAULT_TOKENS_PER_SPLIT, threads);
            } catch (RuntimeException failure) {
                release(weights);
                throw failure;
            }
        }
    }

    /**
     * GPU 0, opened on first use. A failure is remembered: the driver is not retried.
     *
     * @throws DeviceUnavailableException without a usable driver or GPU
     */
    static synchronized Device device() {
        if (unavailable != null) {
            throw unavailable;
        }
        if (device == null) {
            try {
                device = JCudaDevice.open();
            } catch (DeviceUnavailableException failure) {
                unavailable = failure;
                throw failure;
            }
        }
        return device;
    }

    private static void release(ModelWeights weights) {
        synchronized (CudaBackend.class) {
            SharedWeights shared = MODELS.get(weights);
            if (shared != null && --shared.references == 0) {
                MODELS.remove(weights);
                shared.weights.close();
            }
        }
    }
}
