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
        // A quantized cache turns the backends' last-bit differences into whole code steps now and then (a value
        // that lies on a rounding boundary, a near tie between salient tokens). The device may then differ from the
        // CPU by as much as the cache's own error, measured against a full-precision CPU run in lockstep; a wiring
        // mistake (a wrong head, position or layer) differs by far more.
        boolean lossy = !cacheSpec.equals("fp16") && !cacheSpec.equals("fp32");
        try (DeviceWeights uploaded = new DeviceWeights(device, config, weights);
             ForwardPass cpu = ComputeBackend.named("cpu").open(config, weights, 1, maxBatch);
             KvCache cpuCache = cpu.createCache(cacheSpec, geometry);
             ForwardPass reference = ComputeBackend.named("cpu").open(config, weights, 1, maxBatch);
             KvCache referenceCache = reference.createCache("fp32", geometry);
             CudaForwardPass gpu = new CudaForwardPass(device, uploaded, () -> { }, config,
                     weights.ropeFrequencyDivisors(), maxBatch, tokensPerSplit, 2);
             KvCache gpuCache = gpu.createCache(cacheSpec, geometry)) {
            Stepper both = (tokens, count, kind, all) -> {
                float[] expected = cpu.forward(tokens, 0, count, cpuCache, kind, all).clone();
                float[] exact = lossy ? reference.forward(tokens, 0, count, referenceCache, kind, all) : null;
                return new float[][] {expected, gpu.forward(tokens, 0, count, gpuCache, kind, all), exact};
            };
            float[][] logits = both.step(prompt, prompt.length, KvCache.AttentionKind.PREFILL, false);
            assertClose(logits[1], logits[0], logits[2], "prefill logits");
            List<Integer> tokens = new ArrayList<>();
            int[] one = new int[1];
            for (int step = 0; step < generated; step++) {
                int next = argmax(logits[0]);
                assertSameChoice(logits[1], logits[0], logits[2], next, step);
                tokens.add(next);
                one[0] = next;
                logits = both.step(one, 1, KvCache.AttentionKind.DECODE, false);
                assertClose(logits[1], logits[0], logits[2], "decode logits of step " + step);
            }
            assertThat(gpuCache.length()).isEqualTo(cpuCache.length()).isEqualTo(prompt.length + generated);
            assertThat(gpuCache.stats().tokens()).isEqualTo(cpuCache.stats().tokens());
            assertThat(gpuCache.stats().bytes()).isEqualTo(cpuCache.stats().bytes());

            // Scoring: every row's logits, from a rewound cache (the follow-up-turn path).
            assertThat(gpuCache.truncate(0)).isTrue();
            assertThat(cpuCache.truncate(0)).isTrue();
            assertThat(referenceCache.truncate(0)).isTrue();
            logits = both.step(prompt, prompt.length, KvCache.AttentionKind.PREFILL, true);
            assertClose(logits[1], logits[0], logits[2], "every row's logits");
            return tokens.stream().mapToInt(Integer::intValue).toArray();
        }
    }

    /** One forward step on the CPU, the device and (for lossy caches) the full-precision CPU reference, in order. */
    @FunctionalInterface
    private interface Stepper {
        float[][] step(int[] tokens, int count, KvCache.AttentionKind kind, boolean allLogits);
    }

    /** The difference allowed: the tolerance, or a lossy cache's own error against full precision when larger. */
    private static float allowed(float[] expected, float[] exact) {
        float scale = 1f;
        for (float value : expected) {
            scale = Math.max(scale, Math.abs(value));
        }
        float allowed = TOLERANCE * scale;
        if (exact != null) {
            for (int i = 0; i < expected.length; i++) {
                allowed = Math.max(allowed, Math.abs(expected[i] - exact[i]));
            }
        }
        return allowed;
    }

    static int[] prompt(Model model, int length) {
        return BenchmarkRunner.promptTokens(model, length);
    }

    static void assertClose(float[] actual, float[] expected, String what) {
        assertClose(actual, expected, null, what);
    }

    /** @param exact the full-precision CPU logits for a lossy cache (see {@link #allowed}), or null */
    static void assertClose(float[] actual, float[] expected, float[] exact, String what) {
        assertThat(actual).as(what).hasSameSizeAs(expected);
        float worst = 0f;
        int worstIndex = -1;
        for (int i = 0; i < expected.length; i++) {
            float difference = Math.abs(actual[i] - expected[i]);
            if (!(difference <= worst)) {
                worst = difference;
                worstIndex = i;
            }
        }
        assertThat(worst).as("%s: worst difference %s at %d", what, worst, worstIndex)
                .isLessThanOrEqualTo(allowed(expected, exact));
    }

    /**
     * The device's greedy token is the CPU's, or (a near tie, possible with random weights) one whose CPU logit is
     * within the allowed difference of the CPU's best; both backends then continue with the CPU's token.
     */
    private static void assertSameChoice(float[] actual, float[] expected, float[] exact, int next, int step) {
        int chosen = argmax(actual);
        if (chosen != next) {
            assertThat(expected[next] - expected[chosen]).as("greedy token %d: device chose %d, CPU %d", step, chosen,
                    next).isLessThanOrEqualTo(allowed(expected, exact));
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
