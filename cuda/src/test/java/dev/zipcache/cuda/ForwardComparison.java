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
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the same tokens through the CPU backend (fp16 cache) and {@link CudaForwardPass} on a given device, and checks
 * that the logits agree within a tolerance and that greedy decoding picks the same tokens: a prompt prefilled in
 * batches, then generated tokens decoded one at a time (optionally a follow-up prompt and more decoding, as a chat's
 * next turn), then a scoring pass with every row's logits. The caches' statistics must be equal throughout.
 */
final class ForwardComparison {

    /** Logit differences allowed, relative to the largest logit magnitude (summation order differs). */
    static final float TOLERANCE = 2e-3f;

    private ForwardComparison() {
    }

    /**
     * What a comparison measured.
     *
     * @param tokens          the greedy tokens both backends generated
     * @param worstDifference the largest |device − CPU| logit difference of any step
     * @param worstShare      the largest share of its step's allowed difference that a step's worst difference took
     */
    record Result(int[] tokens, float worstDifference, float worstShare) {
    }

    static Result compare(Device device, ModelConfig config, ModelWeights weights, int[] prompt, int maxBatch,
                         int generated) {
        return compare(device, config, weights, prompt, maxBatch, generated,
                CudaForwardPass.DEFAULT_TOKENS_PER_SPLIT);
    }

    static Result compare(Device device, ModelConfig config, ModelWeights weights, int[] prompt, int maxBatch,
                          int generated, int tokensPerSplit) {
        return compare(device, config, weights, prompt, maxBatch, generated, tokensPerSplit, "fp16");
    }

    static Result compare(Device device, ModelConfig config, ModelWeights weights, int[] prompt, int maxBatch,
                          int generated, int tokensPerSplit, String cacheSpec) {
        return compare(device, config, weights, prompt, maxBatch, generated, tokensPerSplit, cacheSpec, 0);
    }

    /**
     * @param tokensPerSplit positions per block of the split decode attention
     * @param cacheSpec      the KV cache of both backends: fp16 and kivi are device caches, others the host-cache path
     * @param followUp       tokens of a second prompt after the generated ones (the prompt's first ones), followed by
     *                       as many generated tokens again; 0 for none
     */
    static Result compare(Device device, ModelConfig config, ModelWeights weights, int[] prompt, int maxBatch,
                          int generated, int tokensPerSplit, String cacheSpec, int followUp) {
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
            Worst worst = new Worst();
            float[][] logits = both.step(prompt, prompt.length, KvCache.AttentionKind.PREFILL, false);
            worst.add(logits, "prefill logits");
            List<Integer> tokens = new ArrayList<>();
            int[] one = new int[1];
            int turns = followUp > 0 ? 2 : 1;
            for (int turn = 0; turn < turns; turn++) {
                if (turn > 0) {
                    logits = both.step(Arrays.copyOf(prompt, followUp), followUp,
                            KvCache.AttentionKind.PREFILL, false);
                    worst.add(logits, "follow-up prompt logits");
                }
                for (int step = 0; step < generated; step++) {
                    int next = argmax(logits[0]);
                    assertSameChoice(logits[1], logits[0], logits[2], next, step);
                    tokens.add(next);
                    one[0] = next;
                    logits = both.step(one, 1, KvCache.AttentionKind.DECODE, false);
                    worst.add(logits, "decode logits of turn " + turn + " step " + step);
                    assertThat(gpuCache.stats()).as("stats after turn %d step %d", turn, step)
                            .isEqualTo(cpuCache.stats());
                }
            }
            assertThat(gpuCache.length()).isEqualTo(cpuCache.length())
                    .isEqualTo(prompt.length + followUp + turns * generated);
            assertThat(gpuCache.stats()).isEqualTo(cpuCache.stats());

            // Scoring: every row's logits, from a rewound cache (the follow-up-turn path).
            assertThat(gpuCache.truncate(0)).isTrue();
            assertThat(cpuCache.truncate(0)).isTrue();
            assertThat(referenceCache.truncate(0)).isTrue();
            logits = both.step(prompt, prompt.length, KvCache.AttentionKind.PREFILL, true);
            worst.add(logits, "every row's logits");
            assertThat(gpuCache.stats()).isEqualTo(cpuCache.stats());
            return new Result(tokens.stream().mapToInt(Integer::intValue).toArray(), worst.difference, worst.share);
        }
    }

    /** The worst logit differences seen so far, each step's first checked against its allowed difference. */
    private static final class Worst {
        float difference;
        float share;

        void add(float[][] logits, String what) {
            float stepWorst = assertClose(logits[1], logits[0], logits[2], what);
            difference = Math.max(difference, stepWorst);
            share = Math.max(share, stepWorst / allowed(logits[0], logits[2]));
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

    static float assertClose(float[] actual, float[] expected, String what) {
        return assertClose(actual, expected, null, what);
    }

    /** @param exact the full-precision CPU logits for a lossy cache (see {@link #allowed}), or null */
    static float assertClose(float[] actual, float[] expected, float[] exact, String what) {
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
        return worst;
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
