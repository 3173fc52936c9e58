package dev.zipcache.cuda;

import dev.zipcache.engine.convert.GgufConverter;
import dev.zipcache.engine.model.Architecture;
import dev.zipcache.engine.model.LayerWeights;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.model.ModelWeights;
import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The CUDA backend's host code, run without a GPU on {@link EmulatedDevice}: every launch is checked against the PTX
 * entry it names and executed by the kernel's Java twin, and the result must match the CPU backend on stories260K.
 * This verifies the weight upload and layouts, buffer offsets, launch shapes, argument order and the attention
 * kernels' tiling algorithm; it cannot verify the CUDA C itself (CudaDeviceTest does, on a GPU).
 */
class EmulatedForwardPassTest {

    /** 45 tokens: two 32-token key tiles and three 16-row query tiles in the prefill attention. */
    private static final int PROMPT = 45;

    @TempDir
    static Path folder;

    private static Path model(GgmlType type) throws IOException {
        Path f32 = SharedFiles.file("models/stories260K/stories260K-f32.gguf");
        if (type == GgmlType.F32) {
            return f32;
        }
        Path converted = folder.resolve("stories260K-" + type.name().toLowerCase() + ".gguf");
        if (!converted.toFile().exists()) {
            try (Model model = Model.load(f32)) {
                GgufConverter.convert(model, type, converted);
            }
        }
        return converted;
    }

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {512, 7, 1})
    void matchesTheCpuBackendInEveryBatchShape(int maxBatch) throws IOException {
        try (Model model = Model.load(model(GgmlType.F32)); EmulatedDevice device = new EmulatedDevice()) {
            ForwardComparison.compare(device, model.config(), model.weights(), ForwardComparison.prompt(model, PROMPT),
                    maxBatch, 6);
            Set<String> kernels = device.launches().stream().map(Launch::kernel).collect(Collectors.toSet());
            if (maxBatch == 512) {
                assertThat(kernels).contains("gemm_f32", "gemv_f32", "attention_prefill_f16", "attention_rows_f16",
                        "embed_f32", "rms_norm", "rope", "swiglu", "add_in_place", "kv_append_f16");
            }
            if (maxBatch == 1) {
                assertThat(kernels).doesNotContain("gemm_f32", "attention_prefill_f16");
            }
            assertThat(device.liveAllocations()).as("everything freed").isZero();
        }
    }

    /**
     * Split decode attention over positions, made to split a short context: batches of 7 leave a last prompt batch of
     * 3 rows whose earlier rows see none of the last split, and each decode step then splits 45+ positions in 8s.
     */
    @Test
    void splitDecodeAttentionMatchesTheCpuBackend() throws IOException {
        try (Model model = Model.load(model(GgmlType.F32)); EmulatedDevice device = new EmulatedDevice()) {
            ForwardComparison.compare(device, model.config(), model.weights(), ForwardComparison.prompt(model, PROMPT),
                    7, 6, 8);
            List<Launch> splits = device.launches().stream()
                    .filter(launch -> launch.kernel().equals("attention_split_f16")).toList();
            assertThat(splits).isNotEmpty();
            assertThat(splits).extracting(Launch::gridY).contains(1, 3);
            assertThat(splits).extracting(Launch::gridZ).contains(6, 7);
            assertThat(device.launches()).extracting(Launch::kernel).contains("attention_merge_f16");
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "Q8_0", "Q4_0"})
    void matchesTheCpuBackendForEveryWeightType(GgmlType type) throws IOException {
        try (Model model = Model.load(model(type)); EmulatedDevice device = new EmulatedDevice()) {
            assertThat(model.weights().layers().getFirst().queryProjection().type()).isEqualTo(type);
            ForwardComparison.compare(device, model.config(), model.weights(), ForwardComparison.prompt(model, PROMPT),
                    16, 4);
            String suffix = type.name().toLowerCase();
            String wide = switch (type) {
                case F16 -> "gemv_f16_x8";
                case Q8_0 -> "gemv_q8_0_x16";
                default -> "gemv_q4_0_x32";
            };
            assertThat(device.launches()).extracting(Launch::kernel).contains("gemm_" + suffix, wide);
        }
    }

    /**
     * Qwen2's differences: Q/K/V biases and NeoX RoPE (rotating halves). stories260K's weights with random biases and
     * the Qwen2 architecture are a meaningless but well-defined model that both backends must compute alike.
     */
    @Test
    void matchesTheCpuBackendWithBiasesAndHalvesRope() throws IOException {
        try (Model model = Model.load(model(GgmlType.F32)); EmulatedDevice device = new EmulatedDevice()) {
            ModelConfig llama = model.config();
            ModelConfig qwen = new ModelConfig(Architecture.QWEN2, llama.name(), llama.embeddingLength(),
                    llama.feedForwardLength(), llama.layers(), llama.heads(), llama.kvHeads(), llama.headDimension(),
                    llama.vocabularySize(), llama.contextLength(), llama.rmsEpsilon(), llama.ropeBase(),
                    llama.ropeDimensions(), llama.tiedClassifier());
            Random random = new Random(7);
            List<LayerWeights> layers = model.weights().layers().stream().map(layer -> new LayerWeights(
                    layer.attentionNorm(), layer.queryProjection(), layer.keyProjection(), layer.valueProjection(),
                    layer.outputProjection(), gaussian(random, llama.queryWidth()),
                    gaussian(random, llama.kvWidth()), gaussian(random, llama.kvWidth()), layer.feedForwardNorm(),
                    layer.gateProjection(), layer.upProjection(), layer.downProjection())).toList();
            ModelWeights weights = new ModelWeights(model.weights().tokenEmbedding(), layers,
                    model.weights().outputNorm(), model.weights().classifier(), null);
            ForwardComparison.compare(device, qwen, weights, ForwardComparison.prompt(model, PROMPT), 20, 4);
            assertThat(device.launches()).extracting(Launch::kernel).contains("add_bias");
        }
    }

    @Test
    void ropeDivisorsScaleTheFrequenciesAsOnTheCpu() throws IOException {
        try (Model model = Model.load(model(GgmlType.F32)); EmulatedDevice device = new EmulatedDevice()) {
            float[] divisors = new float[model.config().ropeDimensions() / 2];
            for (int i = 0; i < divisors.length; i++) {
                divisors[i] = 1f + i;
            }
            ModelWeights original = model.weights();
            ModelWeights weights = new ModelWeights(original.tokenEmbedding(), original.layers(),
                    original.outputNorm(), original.classifier(), divisors);
            ForwardComparison.compare(device, model.config(), weights, ForwardComparison.prompt(model, 20), 512, 3);
        }
    }

    @Test
    void fp16IsTheDeviceCacheAndOtherSpecsAreHostCaches() throws IOException {
        try (Model model = Model.load(model(GgmlType.F32)); EmulatedDevice device = new EmulatedDevice();
             DeviceWeights weights = new DeviceWeights(device, model.config(), model.weights());
             CudaForwardPass pass = new CudaForwardPass(device, weights, () -> { }, model.config(), null, 8)) {
            var geometry = new dev.zipcache.spi.KvCacheGeometry(1, 1, 1, 8, 16);
            try (var fp16 = pass.createCache("fp16", geometry); var zipcache = pass.createCache("zipcache", geometry);
                 var kivi = pass.createCache("kivi:bits=4", geometry);
                 var threeBitKivi = pass.createCache("kivi:bits=3", geometry);
                 var earlyKivi = pass.createCache("kivi:timing=before-attention", geometry);
                 var threeBitZip = pass.createCache("zipcache:low-bits=3", geometry);
                 var cstKeys = pass.createCache("zipcache:key-mode=cst", geometry)) {
                assertThat(fp16).isInstanceOf(CudaKvCache.class);
                assertThat(kivi).isInstanceOf(CudaKiviCache.class);
                assertThat(zipcache).isInstanceOf(CudaZipCache.class);
                assertThat(List.of(threeBitKivi, earlyKivi, threeBitZip, cstKeys))
                        .noneMatch(cache -> cache instanceof CudaKvCache || cache instanceof CudaKiviCache
                                || cache instanceof CudaZipCache);
            }
            assertThatThrownBy(() -> pass.createCache("kivi:residual=33", geometry))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("multiple of 'group'");
            assertThatThrownBy(() -> pass.createCache("nonsense", geometry))
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    /**
     * The host-cache path: 3-bit zipcache (and any other CPU cache) with the weights on the device. Its prefill attends in
     * full precision and scores probe rows; its decode reads the compressed store, all on the CPU.
     */
    @ParameterizedTest
    @ValueSource(strings = {"fp32", "zipcache:low-bits=3", "kivi:bits=3"})
    void hostCachesMatchTheCpuBackend(String spec) throws IOException {
        try (Model model = Model.load(model(GgmlType.F32)); EmulatedDevice device = new EmulatedDevice()) {
            ForwardComparison.compare(device, model.config(), model.weights(), ForwardComparison.prompt(model, PROMPT),
                    20, 6, CudaForwardPass.DEFAULT_TOKENS_PER_SPLIT, spec);
            assertThat(device.launches()).extracting(Launch::kernel)
                    .doesNotContain("kv_append_f16", "attention_rows_f16", "attention_prefill_f16");
            assertThat(device.liveAllocations()).isZero();
        }
    }

    /**
     * KIVI's packed store on the device against the CPU's kivi cache: a prompt in batches of 20, 40 decode steps
     * (keys packed a residual window at a time, values one by one, attention split over positions of 16), a
     * follow-up prompt attending over the packed store (the fp16 window grows for it, moving what it holds, and
     * shrinks after it), 40 more steps, and scoring from a rewound cache. Stats must be
     * equal after every step; logits within the lossy-cache bound (ForwardComparison). At 8 bits a one-ulp fp16
     * difference in a key (the backends sum in different orders) can move a channel's step by as much as the cache's
     * own error, so that bound does not hold step by step; KiviStoreTest checks 8 bits on identical inputs.
     */
    @ParameterizedTest
    @ValueSource(strings = {"kivi", "kivi:bits=4", "kivi:group=4,residual=8"})
    void kiviDeviceCacheMatchesTheCpuCache(String spec) throws IOException {
        deviceCacheMatchesTheCpuCache(spec, "kv_append_f16", "attention_prefill_f16", "kivi_pack_keys",
                "kivi_pack_values", "attention_rows_kivi", "attention_split_kivi", "attention_merge_f16",
                "kv_window_move_f16");
    }

    /**
     * ZipCache's store on the device against the CPU's zipcache cache: a prompt in batches of 20 (tiled fp16
     * attention; probe queries kept), saliency from the probe rows' scores at its end, 40 decode steps over both
     * precision groups (split over positions of 16) with a streaming re-compression every {@code interval} steps, a
     * follow-up prompt (probes scored over the store), 40 more steps, and scoring from a rewound cache. Stats must be
     * equal after every step; logits within the lossy-cache bound, greedy choices the CPU's (ForwardComparison).
     */
    @ParameterizedTest
    @ValueSource(strings = {"zipcache", "zipcache:interval=16", "zipcache:interval=8,saliency=normalized,high-bits=8"})
    void zipcacheDeviceCacheMatchesTheCpuCache(String spec) throws IOException {
        deviceCacheMatchesTheCpuCache(spec, "kv_append_f16", "attention_prefill_f16", "zip_keep_probe_queries",
                "zip_probe_softmax", "zip_probe_scores", "zip_gather", "zip_fit_channels", "zip_channel_scales",
                "zip_fit_rows", "zip_pack_rows", "attention_rows_zip", "attention_split_zip", "attention_merge_f16");
    }

    /**
     * The comparison both device caches go through (prompt in batches of 20, 40 decode steps, split over positions of
     * 16, a follow-up prompt, 40 more, scoring), then: the device ran {@code kernels}, and freed everything.
     */
    private static void deviceCacheMatchesTheCpuCache(String spec, String... kernels) throws IOException {
        try (Model model = Model.load(model(GgmlType.F32)); EmulatedDevice device = new EmulatedDevice()) {
            ForwardComparison.Result result = ForwardComparison.compare(device, model.config(), model.weights(),
                    ForwardComparison.prompt(model, PROMPT), 20, 40, 16, spec, PROMPT);
            System.out.printf("%s on the emulated device: worst logit difference %.3g (%.0f%% of the allowed)%n",
                    spec, result.worstDifference(), 100 * result.worstShare());
            Set<String> launched = device.launches().stream().map(Launch::kernel).collect(Collectors.toSet());
            assertThat(launched).contains(kernels);
            assertThat(device.liveAllocations()).as("everything freed").isZero();
        }
    }

    private static float[] gaussian(Random random, int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextGaussian() * 0.1);
        }
        return values;
    }
}
