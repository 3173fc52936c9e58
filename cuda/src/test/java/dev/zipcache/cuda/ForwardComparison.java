package dev.zipcache.cuda;

import dev.zipcache.engine.bench.BenchmarkRunner;
import dev.zipcache.engine.compute.ComputeBackend;
import dev.zipcache.engine.compute.ForwardPass;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.model.ModelWeights;
import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the same tokens through the CPU backend (fp16 cache) and {@link CudaForwardPass} on a given device, and checks
 * that the logits agree within a tolerance and that greedy decoding picks the same tokens: a prompt prefilled in
 * batches, then generated tokens decoded one at a time, then a scoring pass with every row's logits.
 */
final class ForwardComparison {

    /** Logit differences allowed, relative to the largest logit magnitude (summation order differs). */
    static final float TOLERANCE = 2e-3f;

    private ForwardComparison() {
    }

    /** @return the greedy tokens both backends generated */
    static int[] compare(Device device, ModelConfig config, ModelWeights weights, int[] prompt, int maxBatch,
                         int generated) {
        return compare(device, config, weights, prompt, maxBatch, generated,
                CudaForwardPass.DEFAULT_TOKENS_PER_SPLIT);
    }

    static int[] compare(Device device, ModelConfig config, ModelWeights weights, int[] prompt, int maxBatch,
                         int generated, int tokensPerSplit) {
        return compare(device, config, weights, prompt, maxBatch, generated, tokensPerSplit, "fp16");
    }

    /**
     * @param tokensPerSplit positions per block of the split decode attention
     * @param cacheSpec      the KV cache of both backends: fp16 is the device cache, others the host-cache path
     */
    static int[] compare(Device device, ModelConfig config, ModelWeights weights, int[] prompt, int maxBatch,
                         int generated, int tokensPerSplit, String cacheSpec) {
        KvCacheGeometry geometry = new KvCacheGeometry(config.layers(), config.kvHeads(), config.heads(),
                config.headDimension(), config.contextLength());
        try (DeviceWeights uploaded = new DeviceWeights(device, config, weights);
             ForwardPass cpu = ComputeBackend.named("cpu").open(config, weights, 1, maxBatch);
             KvCache cpuCache = cpu.createCache(cacheSpec, geometry);
             CudaForwardPass gpu = new CudaForwardPass(device, uploaded, () -> { }, config,
                     weights.ropeFrequencyDivisors(), maxBatch, tokensPerSplit, 2);
             KvCache gpuCache = gpu.createCache(cacheSpec, geometry)) {
            float[] expected = cpu.forward(prompt, 0, prompt.length, cpuCache, KvCache.AttentionKind.PREFILL, false)
                    .clone();
            float[] actual = gpu.forward(prompt, 0, prompt.length, gpuCache, KvCache.AttentionKind.PREFILL, false);
            assertClose(actual, expected, "prefill logits");
            List<Integer> tokens = new ArrayList<>();
            int[] one = new int[1];
            for (int step = 0; step < generated; step++) {
                int next = argmax(expected);
                assertSameChoice(actual, expected, next, step);
                tokens.add(next);
                one[0] = next;
                expected = cpu.forward(one, 0, 1, cpuCache, KvCache.AttentionKind.DECODE, false).clone();
                actual = gpu.forward(one, 0, 1, gpuCache, KvCache.AttentionKind.DECODE, false);
                assertClose(actual, expected, "decode logits of step " + step);
            }
            assertThat(gpuCache.length()).isEqualTo(cpuCache.length()).isEqualTo(prompt.length + generated);
            assertThat(gpuCache.stats().tokens()).isEqualTo(cpuCache.stats().tokens());
            assertThat(gpuCache.stats().bytes()).isEqualTo(cpuCache.stats().bytes());

            // Scoring: every row's logits, from a rewound cache (the follow-up-turn path).
            assertThat(gpuCache.truncate(0)).isTrue();
            assertThat(cpuCache.truncate(0)).isTrue();
            float[] allExpected = cpu.forward(prompt, 0, prompt.length, cpuCache, KvCache.AttentionKind.PREFILL,
                    true);
            float[] allActual = gpu.forward(prompt, 0, prompt.length, gpuCache, KvCache.AttentionKind.PREFILL,
                    true);
            assertClose(allActual, allExpected, "every row's logits");
            return tokens.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    static int[] prompt(Model model, int length) {
        return BenchmarkRunner.promptTokens(model, length);
    }

    static void assertClose(float[] actual, float[] expected, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        float scale = 1f;
        for (float value : expected) {
            scale = Math.max(scale, Math.abs(value));
        }
        float worst = 0f;
        int worstIndex = -1;
        for (int i = 0; i < expected.length; i++) {
            float difference = Math.abs(actual[i] - expected[i]);
            if (!(difference <= worst)) {
                worst = difference;
                worstIndex = i;
            }
        }
        assertThat(worst / scale).as("%s: worst difference %s at %d (largest logit %s)", what, worst, worstIndex,
                scale).isLessThanOrEqualTo(TOLERANCE);
    }

    /**
     * The device's greedy token is the CPU's, or (a near tie, possible with random weights) one whose CPU logit is
     * within the tolerance of the CPU's best; both backends then continue with the CPU's token.
     */
    private static void assertSameChoice(float[] actual, float[] expected, int next, int step) {
        int chosen = argmax(actual);
        if (chosen != next) {
            float scale = 1f;
            for (float value : expected) {
                scale = Math.max(scale, Math.abs(value));
            }
            assertThat(expected[next] - expected[chosen]).as("greedy token %d: device chose %d, CPU %d", step, chosen,
                    next).isLessThanOrEqualTo(TOLERANCE * scale);
        }
    }

    static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
