package dev.zipcache.cuda;

import static dev.zipcache.cuda.StoreInputs.ONE_HEAD;
import static dev.zipcache.cuda.StoreInputs.THREE_HEADS;
import static dev.zipcache.cuda.StoreInputs.append;
import static dev.zipcache.cuda.StoreInputs.halves;
import static dev.zipcache.cuda.StoreInputs.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zipcache.quantize.ChannelSeparableTokenwiseQuantizer;
import dev.zipcache.quantize.ChannelwiseQuantizer;
import dev.zipcache.quantize.CodePacking;
import dev.zipcache.quantize.GroupParameters;
import dev.zipcache.quantize.MinMaxQuantizedBlock;
import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.SaliencyPolicy;
import dev.zipcache.spi.SaliencyScorer;
import dev.zipcache.spi.Spec;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link CudaZipCache} on {@link EmulatedDevice} against the CPU on identical inputs, with no forward pass in between:
 * a prompt's packed codes, fp16 parameters and CST channel scales are bit for bit what the CPU's channelwise and CST
 * quantizers make of the same fp16 tokens split the same way; the probe rows' scores are the policy's scorer fed
 * with exact attention probabilities; and attention over the store (whole and split over positions) through prompts,
 * streaming re-compressions and a follow-up prompt gives the CPU zipcache cache's output, with equal statistics.
 * Geometries with awkward widths: a last plane partly empty, GQA groups of two.
 */
class ZipStoreTest {

    static Stream<Arguments> cases() {
        return Stream.of(Arguments.of("zipcache:interval=4", THREE_HEADS),
                Arguments.of("zipcache:interval=5,high-bits=8,low-bits=4,saliency=accumulated", THREE_HEADS),
                Arguments.of("zipcache:interval=3,normalization=probe-count,salient-ratio=0.3", ONE_HEAD),
                Arguments.of("zipcache:interval=4,saliency=normalized,seed=5", ONE_HEAD),
                Arguments.of("zipcache:interval=6,saliency=recent,high-bits=2,low-bits=2", THREE_HEADS));
    }

    /**
     * {@code recent} makes the split known (the oldest tokens are the regular ones), so the expected groups can be
     * built here and quantized by the CPU's quantizers.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("packingCases")
    void packsWhatTheCpuQuantizersMakeOfTheSameSplit(String spec, KvCacheGeometry geometry) {
        ZipLayout layout = layout(spec, geometry);
        int width = layout.width();
        int tokens = 41;
        Random random = new Random(spec.hashCode());
        try (EmulatedDevice device = new EmulatedDevice();
             CudaZipCache cache = new CudaZipCache(device, geometry, layout)) {
            float[][] keys = new float[geometry.layers()][];
            float[][] values = new float[geometry.layers()][];
            cache.reserve(tokens, KvCache.AttentionKind.PREFILL);
            for (int layer = 0; layer < geometry.layers(); layer++) {
                keys[layer] = tokens(random, tokens, width);
                values[layer] = tokens(random, tokens, width);
                append(device, cache.window(), cache.geometry(), layer, keys[layer], values[layer], 0, tokens);
            }
            cache.commit(tokens, KvCache.AttentionKind.PREFILL);
            cache.endPrefill();
            int regular = layout.regularCount(tokens);
            int salient = tokens - regular;
            assertThat(cache.regularRows()).isEqualTo(regular);
            assertThat(cache.salientRows()).isEqualTo(salient);
            for (int layer = 0; layer < geometry.layers(); layer++) {
                ZipStore store = cache.store(layer);
                float[] storedKeys = halves(keys[layer]);
                float[] storedValues = halves(values[layer]);
                // Salient rows first: the newest tokens in position order; then the oldest, in increasing score.
                float[] salientKeys = Arrays.copyOfRange(storedKeys, regular * width, tokens * width);
                float[] regularKeys = Arrays.copyOfRange(storedKeys, 0, regular * width);
                float[] salientValues = Arrays.copyOfRange(storedValues, regular * width, tokens * width);
                float[] regularValues = Arrays.copyOfRange(storedValues, 0, regular * width);
                float[] allValues = new float[tokens * width];
                System.arraycopy(salientValues, 0, allValues, 0, salientValues.length);
                System.arraycopy(regularValues, 0, allValues, salientValues.length, regularValues.length);
                ChannelSeparableTokenwiseQuantizer cst = new ChannelSeparableTokenwiseQuantizer();
                float[] scales = cst.channelScales(allValues, 0, tokens, width, null);
                ChannelwiseQuantizer channelwise = new ChannelwiseQuantizer();
                assertGroup(device, store.salientKeys(), channelwise.quantize(salientKeys, 0, salient, width,
                        layout.highBits(), null, null), false, "salient keys, layer " + layer);
                assertGroup(device, store.regularKeys(), channelwise.quantize(regularKeys, 0, regular, width,
                        layout.lowBits(), null, null), false, "regular keys, layer " + layer);
                MinMaxQuantizedBlock salientBlock = cst.quantize(salientValues, 0, salient, width, layout.highBits(),
                        scales, null);
                assertGroup(device, store.salientValues(), salientBlock, true, "salient values, layer " + layer);
                assertGroup(device, store.regularValues(), cst.quantize(regularValues, 0, regular, width,
                        layout.lowBits(), scales, null), true, "regular values, layer " + layer);
                short[] deviceScales = device.halves(store.channelScales(), width);
                for (int c = 0; c < width; c++) {
                    assertThat(Float.float16ToFloat(deviceScales[c])).as("channel scale %d", c)
                            .isEqualTo(salientBlock.channelScale(c));
                }
            }
        }
    }

    static Stream<Arguments> packingCases() {
        return Stream.of(Arguments.of("zipcache:saliency=recent", THREE_HEADS),
                Arguments.of("zipcache:saliency=recent,high-bits=8,low-bits=4,salient-ratio=0.3", THREE_HEADS),
                Arguments.of("zipcache:saliency=recent,salient-ratio=0.75", ONE_HEAD));
    }

    private static void assertGroup(EmulatedDevice device, PackedRows packed, MinMaxQuantizedBlock expected,
                                    boolean perRow, String what) {
        int rows = expected.rows();
        int width = expected.width();
        int rowBytes = CodePacking.rowBytes(width, expected.bits());
        byte[] codes = device.bytes(packed.codes(), rows * rowBytes);
        for (int row = 0; row < rows; row++) {
            int[] expectedCodes = new int[width];
            for (int c = 0; c < width; c++) {
                expectedCodes[c] = expected.code(row, c);
            }
            assertThat(Arrays.copyOfRange(codes, row * rowBytes, (row + 1) * rowBytes)).as("%s: codes of row %d",
                    what, row).containsExactly(CodePacking.pack(expectedCodes, expected.bits()));
        }
        int parameters = perRow ? rows : width;
        short[] minimums = device.halves(packed.minimums(), parameters);
        short[] steps = device.halves(packed.steps(), parameters);
        for (int i = 0; i < parameters; i++) {
            GroupParameters parameter = perRow ? expected.parameters(i, 0) : expected.parameters(0, i);
            assertThat(new GroupParameters(minimums[i], steps[i])).as("%s: parameters %d", what, i)
                    .isEqualTo(parameter);
        }
    }

    /**
     * The probe rows' scores computed on the device are the CPU policy's scorer fed with each probe row's exact
     * softmax probabilities (double precision here) summed over the KV head's query heads.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void probeScoresAreThePolicysScoresOfTheProbeRowsProbabilities(String spec, KvCacheGeometry geometry) {
        ZipLayout layout = layout(spec, geometry);
        org.junit.jupiter.api.Assumptions.assumeTrue(layout.scoring() != ZipLayout.Scoring.POSITION,
                "the recent policy observes no rows");
        int width = layout.width();
        int queryWidth = geometry.queryWidth();
        int dimension = geometry.headDimension();
        int group = geometry.groupSize();
        int tokens = 57;
        Random random = new Random(7 * spec.hashCode());
        try (EmulatedDevice device = new EmulatedDevice();
             CudaZipCache cache = new CudaZipCache(device, geometry, layout)) {
            cache.reserve(tokens, KvCache.AttentionKind.PREFILL);
            float[][] keys = new float[geometry.layers()][];
            float[][] queries = new float[geometry.layers()][];
            DevicePointer queryBuffer = device.allocate((long) tokens * queryWidth * Float.BYTES);
            for (int layer = 0; layer < geometry.layers(); layer++) {
                keys[layer] = tokens(random, tokens, width);
                queries[layer] = tokens(random, tokens, queryWidth);
                append(device, cache.window(), cache.geometry(), layer, keys[layer], tokens(random, tokens, width), 0, tokens);
                device.upload(queryBuffer, queries[layer], tokens * queryWidth);
                cache.keepProbeQueries(layer, queryBuffer, tokens, 0);
            }
            device.free(queryBuffer);
            cache.commit(tokens, KvCache.AttentionKind.PREFILL);
            for (int layer = 0; layer < geometry.layers(); layer++) {
                SaliencyScorer scorer = layout.policy().scorer(new SaliencyPolicy.ScoringRequest(layer, 0, tokens,
                        layout.seed()), geometry, layout.policyOptions());
                int[] rows = scorer.rows();
                Arrays.sort(rows);
                float[] storedKeys = halves(keys[layer]);
                for (int kvHead = 0; kvHead < geometry.kvHeads(); kvHead++) {
                    for (int row : rows) {
                        float[] summed = new float[tokens];
                        for (int member = 0; member < group; member++) {
                            int head = kvHead * group + member;
                            double[] scores = new double[row + 1];
                            double max = Double.NEGATIVE_INFINITY;
                            for (int t = 0; t <= row; t++) {
                                for (int d = 0; d < dimension; d++) {
                                    scores[t] += (double) queries[layer][row * queryWidth + head * dimension + d]
                                            * storedKeys[t * width + kvHead * dimension + d];
                                }
                                scores[t] /= Math.sqrt(dimension);
                                max = Math.max(max, scores[t]);
                            }
                            double sum = 0;
                            for (int t = 0; t <= row; t++) {
                                sum += Math.exp(scores[t] - max);
                            }
                            for (int t = 0; t <= row; t++) {
                                summed[t] += (float) (Math.exp(scores[t] - max) / sum);
                            }
                        }
                        scorer.observe(kvHead, row, summed);
                    }
                }
                float[][] actual = cache.promptScores(layer);
                for (int kvHead = 0; kvHead < geometry.kvHeads(); kvHead++) {
                    float[] expected = new float[tokens];
                    scorer.scores(kvHead, expected);
                    for (int i = 0; i < tokens; i++) {
                        assertThat(actual[kvHead][i]).as("layer %d, KV head %d, token %d", layer, kvHead, i)
                                .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(
                                        1e-5f * (1 + Math.abs(expected[i]))));
                    }
                }
            }
            cache.endPrefill();
        }
    }

    /**
     * A prompt in two batches, streaming decode steps over several re-compressions, then a follow-up prompt that
     * starts after a decoded token (its probes may see that token's zero query, as on the CPU) and more steps, all fed
     * identically to the CPU zipcache cache and the device store: the attention outputs (rows kernel, and split kernel
     * + merge; the fp16 kernel while the store is empty) agree to float rounding, and so do the statistics; truncation
     * behaves as on the CPU.
     */
    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void attendsAsTheCpuCacheOnTheSameInputs(String spec, KvCacheGeometry geometry) {
        ZipLayout layout = layout(spec, geometry);
        int width = layout.width();
        int queryWidth = geometry.queryWidth();
        int dimension = geometry.headDimension();
        float scale = (float) (1 / Math.sqrt(dimension));
        Random random = new Random(~spec.hashCode());
        try (EmulatedDevice device = new EmulatedDevice();
             CudaZipCache cache = new CudaZipCache(device, geometry, layout);
             KvCache cpu = Providers.createCache(spec, geometry)) {
            int maxRows = 20;
            int splitSize = 7;
            DevicePointer queries = device.allocate((long) maxRows * queryWidth * Float.BYTES);
            DevicePointer out = device.allocate((long) maxRows * queryWidth * Float.BYTES);
            DevicePointer partials = device.allocate((long) maxRows * queryWidth
                    * Math.ceilDiv(geometry.maxTokens(), splitSize) * (dimension + 2) * Float.BYTES);
            int[] steps = new int[2 + 13 + 1 + 9];
            Arrays.fill(steps, 1);
            steps[0] = 20;
            steps[1] = 19;
            steps[15] = 9;
            boolean[] prompt = new boolean[steps.length];
            prompt[0] = prompt[1] = prompt[15] = true;
            for (int i = 0; i < steps.length; i++) {
                int rows = steps[i];
                KvCache.AttentionKind kind = prompt[i] ? KvCache.AttentionKind.PREFILL : KvCache.AttentionKind.DECODE;
                int position = cache.length();
                int promptRows = prompt[i] && i + 1 < steps.length && prompt[i + 1] ? rows + steps[i + 1] : rows;
                cache.reserve(i > 0 && prompt[i - 1] && prompt[i] ? rows : promptRows, kind);
                for (int layer = 0; layer < geometry.layers(); layer++) {
                    float[] keys = tokens(random, rows, width);
                    float[] values = tokens(random, rows, width);
                    float[] query = tokens(random, rows, queryWidth);
                    cpu.append(layer, keys, 0, values, 0, rows);
                    float[] expected = new float[rows * queryWidth];
                    for (int kvHead = 0; kvHead < geometry.kvHeads(); kvHead++) {
                        cpu.attend(layer, kvHead, kind, query, 0, rows, position, expected, 0);
                    }
                    append(device, cache.window(), cache.geometry(), layer, keys, values, position, rows);
                    device.upload(queries, query, rows * queryWidth);
                    if (prompt[i]) {
                        cache.keepProbeQueries(layer, queries, rows, position);
                    }
                    float[] actual = new float[rows * queryWidth];
                    ZipStore store = cache.store(layer);
                    if (cache.holdsOnlyFullPrecision()) {
                        device.launch(KernelLaunches.attention(queries, store.keyWindow(), store.valueWindow(),
                                geometry.queryHeads(), geometry.kvHeads(), dimension, store.capacity(), position,
                                rows, scale, out));
                        device.download(out, actual, 0, actual.length);
                        assertClose(actual, expected, "fp16 kernel, step " + i + ", layer " + layer);
                    } else {
                        device.launch(KernelLaunches.attentionZip(queries, store, layout, geometry.queryHeads(),
                                position, rows, scale, out));
                        device.download(out, actual, 0, actual.length);
                        assertClose(actual, expected, "rows kernel, step " + i + ", layer " + layer);
                        device.launch(KernelLaunches.attentionSplitZip(queries, store, layout, geometry.queryHeads(),
                                position, rows, splitSize, scale, partials));
                        device.launch(KernelLaunches.attentionMerge(partials, geometry.queryHeads(), dimension,
                                KernelLaunches.splits(position + rows, splitSize), rows, out));
                        device.download(out, actual, 0, actual.length);
                        assertClose(actual, expected, "split kernel, step " + i + ", layer " + layer);
                    }
                    if (cache.scoringStep(rows, position, kind)) {
                        cache.scoreDecodeStep(layer, queries, position);
                    }
                }
                cpu.commit(rows, kind);
                cache.commit(rows, kind);
                if (prompt[i] && (i + 1 == steps.length || !prompt[i + 1])) {
                    cpu.endPrefill();
                    cache.endPrefill();
                }
                assertThat(cache.stats()).as("stats after step %d", i).isEqualTo(cpu.stats());
            }
            assertThat(cache.storedTokens()).as("re-compressed after the follow-up prompt").isGreaterThan(39);
            int length = cache.length();
            for (int target : new int[] {length + 1, cache.storedTokens() - 1, length - 1, length}) {
                assertThat(cache.truncate(target)).as("truncate to %d", target).isEqualTo(cpu.truncate(target));
                assertThat(cache.stats()).isEqualTo(cpu.stats());
            }
            assertThat(cache.truncate(0)).isTrue();
            assertThat(cpu.truncate(0)).isTrue();
            assertThat(cache.stats()).isEqualTo(cpu.stats());
            device.free(queries);
            device.free(out);
            device.free(partials);
        }
    }

    @Test
    void optionsTheKernelsDoNotTakeStayOnTheHost() {
        for (String spec : new String[] {"zipcache:high-bits=3", "zipcache:low-bits=3", "zipcache:key-mode=cst",
                "zipcache:value-mode=tokenwise"}) {
            assertThat(ZipLayout.of(Providers.kvCaches().resolve(Spec.parse(spec)), THREE_HEADS)).as(spec).isEmpty();
        }
        assertThat(ZipLayout.of(Providers.kvCaches().resolve(Spec.parse("zipcache")), THREE_HEADS)).isPresent();
    }

    private static ZipLayout layout(String spec, KvCacheGeometry geometry) {
        return ZipLayout.of(Providers.kvCaches().resolve(Spec.parse(spec)), geometry).orElseThrow();
    }

    /**
     * Float rounding only: the CPU's fused kernels sum a row as {@code step · Σ code·q + min · Σ q} (CST: with
     * {@code q·s_c}), the kernels dequantize each element first; scores of tens (these tokens' magnitudes) then give
     * relative differences of some 1e-5. A wrong code or a token in the wrong group differs by far more.
     */
    private static void assertClose(float[] actual, float[] expected, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("%s, element %d", what, i)
                    .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(5e-5f * (1 + Math.abs(expected[i]))));
        }
    }
}
