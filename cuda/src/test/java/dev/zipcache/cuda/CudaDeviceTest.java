package dev.zipcache.cuda;

import dev.zipcache.engine.convert.GgufConverter;
import dev.zipcache.engine.generate.GenerationRequest;
import dev.zipcache.engine.generate.GenerationResult;
import dev.zipcache.engine.generate.Session;
import dev.zipcache.engine.generate.SessionOptions;
import dev.zipcache.engine.generate.TokenListener;
import dev.zipcache.engine.model.Model;
import dev.zipcache.engine.tensor.GgmlType;
import dev.zipcache.engine.testing.ReferenceCases;
import dev.zipcache.engine.testing.SharedFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The kernels themselves, on a GPU: the same comparisons as {@link EmulatedForwardPassTest} with the real device, and
 * whole generations through {@code Session} with {@code device=cuda}. Skipped, with the reason, where no CUDA device
 * opens (every CI run).
 */
class CudaDeviceTest {

    @TempDir
    static Path folder;

    @ParameterizedTest(name = "batches of {0}")
    @ValueSource(ints = {512, 7, 1})
    void forwardPassMatchesTheCpuBackend(int maxBatch) {
        Device device = Gpu.deviceOrSkip();
        try (Model model = Model.load(SharedFiles.file("models/stories260K/stories260K-f32.gguf"))) {
            ForwardComparison.compare(device, model.config(), model.weights(), ForwardComparison.prompt(model, 45),
                    maxBatch, 16);
        }
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "Q8_0", "Q4_0"})
    void everyWeightTypeMatchesTheCpuBackend(GgmlType type) throws IOException {
        Device device = Gpu.deviceOrSkip();
        Path converted = folder.resolve("stories260K-" + type.name().toLowerCase() + ".gguf");
        try (Model f32 = Model.load(SharedFiles.file("models/stories260K/stories260K-f32.gguf"))) {
            GgufConverter.convert(f32, type, converted);
        }
        try (Model model = Model.load(converted)) {
            ForwardComparison.compare(device, model.config(), model.weights(), ForwardComparison.prompt(model, 45),
                    64, 8);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"zipcache:low-bits=3", "kivi:bits=3"})
    void hostCachePathMatchesTheCpuBackend(String spec) {
        Device device = Gpu.deviceOrSkip();
        try (Model model = Model.load(SharedFiles.file("models/stories260K/stories260K-f32.gguf"))) {
            ForwardComparison.compare(device, model.config(), model.weights(), ForwardComparison.prompt(model, 45),
                    16, 8, CudaForwardPass.DEFAULT_TOKENS_PER_SPLIT, spec);
        }
    }

    /**
     * KIVI's packed store on the GPU, as EmulatedForwardPassTest runs it: packing kernels, attention over the codes
     * (whole and split), the fp16 window growing for a follow-up prompt and shrinking after it.
     */
    @ParameterizedTest
    @ValueSource(strings = {"kivi", "kivi:bits=4", "kivi:group=4,residual=8"})
    void kiviDeviceCacheMatchesTheCpuCache(String spec) {
        Device device = Gpu.deviceOrSkip();
        try (Model model = Model.load(SharedFiles.file("models/stories260K/stories260K-f32.gguf"))) {
            ForwardComparison.Result result = ForwardComparison.compare(device, model.config(), model.weights(),
                    ForwardComparison.prompt(model, 45), 20, 40, 16, spec, 45);
            System.out.printf("%s on the GPU: worst logit difference %.3g (%.0f%% of the allowed)%n", spec,
                    result.worstDifference(), 100 * result.worstShare());
        }
    }

    /**
     * ZipCache's store on the GPU, as EmulatedForwardPassTest runs it: probe scores at the prompt's end, packing per
     * precision group, attention over both groups' codes (whole and split), streaming re-compression (interval 16).
     */
    @ParameterizedTest
    @ValueSource(strings = {"zipcache", "zipcache:interval=16", "zipcache:interval=8,saliency=normalized,high-bits=8"})
    void zipcacheDeviceCacheMatchesTheCpuCache(String spec) {
        Device device = Gpu.deviceOrSkip();
        try (Model model = Model.load(SharedFiles.file("models/stories260K/stories260K-f32.gguf"))) {
            ForwardComparison.Result result = ForwardComparison.compare(device, model.config(), model.weights(),
                    ForwardComparison.prompt(model, 45), 20, 40, 16, spec, 45);
            System.out.printf("%s on the GPU: worst logit difference %.3g (%.0f%% of the allowed)%n", spec,
                    result.worstDifference(), 100 * result.worstShare());
        }
    }

    /** Split decode attention on the GPU: a small split size makes stories260K's context split. */
    @Test
    void splitDecodeAttentionMatchesTheCpuBackend() {
        Device device = Gpu.deviceOrSkip();
        try (Model model = Model.load(SharedFiles.file("models/stories260K/stories260K-f32.gguf"))) {
            ForwardComparison.compare(device, model.config(), model.weights(), ForwardComparison.prompt(model, 45),
                    7, 24, 8);
        }
    }

    /**
     * The logits of a large model (gpu/check.sh passes a synthetic ~1B one as {@code zipcache.cuda.syntheticModel}):
     * big matrices reach the tiled kernels' full tiles and the row kernels' full blocks.
     */
    @Test
    void largeModelLogitsMatchTheCpuBackend() {
        String path = System.getProperty("zipcache.cuda.syntheticModel");
        Assumptions.assumeTrue(path != null, "no zipcache.cuda.syntheticModel given (gpu/check.sh gives one)");
        Device device = Gpu.deviceOrSkip();
        try (Model model = Model.load(Path.of(path))) {
            ForwardComparison.compare(device, model.config(), model.weights(), ForwardComparison.prompt(model, 150),
                    128, 4);
        }
    }

    @Test
    void greedyGenerationEqualsTheCpuAndTheReference() {
        Gpu.deviceOrSkip();
        for (ReferenceCases.GreedyCase reference : ReferenceCases.greedy("stories260K")) {
            try (Model model = Model.load(SharedFiles.file("models/stories260K/stories260K-f32.gguf"));
                 Session gpu = Session.open(model, SessionOptions.defaults().withDevice("cuda"));
                 Session cpu = Session.open(model, SessionOptions.defaults().withThreads(1))) {
                GenerationRequest request = GenerationRequest.of(reference.prompt(), reference.maxNewTokens())
                        .withStopTokens(Set.of(1));
                GenerationResult onGpu = gpu.generate(request, TokenListener.NONE);
                GenerationResult onCpu = cpu.generate(request, TokenListener.NONE);
                assertThat(onGpu.generatedTokenIds()).as(reference.prompt())
                        .containsExactly(onCpu.generatedTokenIds())
                        .containsExactly(reference.generatedTokenIds());
                assertThat(onGpu.cacheStats()).isEqualTo(onCpu.cacheStats());
            }
        }
    }
}
