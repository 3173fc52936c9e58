package dev.zipcache.engine.compute;

import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.model.ModelWeights;
import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;

/** The built-in backend: {@link CpuForwardPass} on a {@link ComputePool} of its own. */
final class CpuBackend implements ComputeBackend {

    @Override
    public String name() {
        return CPU;
    }

    @Override
    public String description() {
        return "the CPU, with Vector API kernels (default)";
    }

    @Override
    public ForwardPass open(ModelConfig config, ModelWeights weights, int threads, int maxBatch) {
        ComputePool pool = new ComputePool(threads);
        return new PoolOwningPass(new CpuForwardPass(config, weights, pool, maxBatch), pool);
    }

    /** Closes the pool with the pass: a session's pool lives exactly as long as its forward pass. */
    private record PoolOwningPass(CpuForwardPass pass, ComputePool pool) implements ForwardPass {

        @Override
        public float[] forward(int[] tokens, int offset, int count, KvCache cache, KvCache.AttentionKind kind,
                               boolean allLogits) {
            return pass.forward(tokens, offset, count, cache, kind, allLogits);
        }

        @Override
        public KvCache createCache(String spec, KvCacheGeometry geometry) {
            return pass.createCache(spec, geometry);
        }

        @Override
        public void close() {
            pass.close();
            pool.close();
        }
    }
}
