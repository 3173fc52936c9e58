package dev.zipcache.cuda;

import static dev.zipcache.cuda.StoreInputs.ONE_HEAD;
import static dev.zipcache.cuda.StoreInputs.THREE_HEADS;
import static dev.zipcache.cuda.StoreInputs.append;
import static dev.zipcache.cuda.StoreInputs.halves;
import static dev.zipcache.cuda.StoreInputs.tokens;
import static org.assertj.core.api.Assertions.assertThat;

import dev.zipcache.quantize.ChannelwiseQuantizer;
import dev.zipcache.quantize.CodePacking;
import dev.zipcache.quantize.GroupParameters;
import dev.zipcache.quantize.GroupwiseQuantizer;
import dev.zipcache.quantize.MinMaxQuantizedBlock;
import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;
import dev.zipcache.spi.SpecOptions;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link CudaKiviCache} on {@link EmulatedDevice} against the CPU on identical inputs, with no forward pass in
 * between: the packed codes and fp16 parameters are bit for bit what the CPU's channelwise (keys) and groupwise
 * (values) quantizers make of the same fp16 tokens, and attention over the packed store (whole and split over
 * positions) gives the CPU kivi cache's output. Geometries with awkward widths: a last plane partly empty, value runs
 * that straddle KV heads.
 */
class KiviStoreTest {

    static Stream<Arguments> cases() {
        return Stream.of(Arguments.of("kivi:bits=2,group=4,residual=8", THREE_HEADS),
                Arguments.of("kivi:bits=4,group=8,residual=16", THREE_HEADS),
                Arguments.of("kivi:bits=8,group=16,residual=16", THREE_HEADS),
                Arguments.of("kivi:bits=2,group=8,residual=8", ONE_HEAD),
                Arguments.of("kivi:bits=4,group=3,residual=6", ONE_HEAD));
    }

    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void packsWhatTheCpuQuantizersMakeOfTheSameTokens(String spec, KvCacheGeometry geometry) {
        KiviLayout layout = layout(spec, geometry);
        int width = layout.width();
        int tokens = 41;
        Random random = new Random(spec.hashCode());
        try (EmulatedDevice device = new EmulatedDevice();
             CudaKiviCache cache = new CudaKiviCache(device, geometry, layout)) {
            float[][] keys = new float[geometry.layers()][];
            float[][] values = new float[geometry.layers()][];
            for (int layer = 0; layer < geometry.layers(); layer++) {
                keys[layer] = tokens(random, tokens, width);
                values[layer] = tokens(random, tokens, width);
            }
            cache.reserve(tokens);
            for (int layer = 0; layer < geometry.layers(); layer++) {
                append(device, cache.window(), cache.geometry(), layer, keys[layer], values[layer], 0, tokens);
            }
            cache.commit(tokens, KvCache.AttentionKind.PREFILL);
            cache.endPrefill();
            // KIVI's prefill rule: whole residual windows of keys, all values but the newest residual.
            assertThat(cache.quantizedKeys()).isEqualTo(tokens / layout.residual() * layout.residual());
            assertThat(cache.quantizedValues()).isEqualTo(tokens - layout.residual());

            int rowBytes = layout.rowBytes();
            for (int layer = 0; layer < geometry.layers(); layer++) {
                float[] storedKeys = halves(keys[layer]);
                float[] storedValues = halves(values[layer]);
                PackedRows packedKeys = cache.keys(layer);
                byte[] keyCodes = device.bytes(packedKeys.codes(), cache.quantizedKeys() * rowBytes);
                short[] keyMinimums = device.halves(packedKeys.minimums(), cache.quantizedKeys() / layout.tokenGroup()
                        * width);
                short[] keySteps = device.halves(packedKeys.steps(), keyMinimums.length);
                for (int first = 0; first < cache.quantizedKeys(); first += layout.tokenGroup()) {
                    MinMaxQuantizedBlock block = new ChannelwiseQuantizer().quantize(storedKeys, first * width,
                            layout.tokenGroup(), width, layout.bits(), null, null);
                    for (int row = 0; row < layout.tokenGroup(); row++) {
                        assertThat(Arrays.copyOfRange(keyCodes, (first + row) * rowBytes, (first + row + 1) * rowBytes))
                                .as("key codes of position %d, layer %d", first + row, layer)
                                .containsExactly(CodePacking.pack(codes(block, row, width), layout.bits()));
                    }
                    for (int c = 0; c < width; c++) {
                        GroupParameters expected = block.parameters(0, c);
                        int index = first / layout.tokenGroup() * width + c;
                        assertThat(new GroupParameters(keyMinimums[index], keySteps[index]))
                                .as("key parameters of block at %d, channel %d", first, c).isEqualTo(expected);
                    }
                }
                PackedRows packedValues = cache.values(layer);
                byte[] valueCodes = device.bytes(packedValues.codes(), cache.quantizedValues() * rowBytes);
                short[] valueMinimums = device.halves(packedValues.minimums(), cache.quantizedValues() * layout.runs());
                short[] valueSteps = device.halves(packedValues.steps(), valueMinimums.length);
                SpecOptions groupwise = new SpecOptions("groupwise",
                        Map.of(GroupwiseQuantizer.GROUP, String.valueOf(layout.valueRun())));
                for (int position = 0; position < cache.quantizedValues(); position++) {
                    MinMaxQuantizedBlock block = new GroupwiseQuantizer().quantize(storedValues, position * width, 1,
                            width, layout.bits(), null, groupwise);
                    assertThat(Arrays.copyOfRange(valueCodes, position * rowBytes, (position + 1) * rowBytes))
                            .as("value codes of position %d", position)
                            .containsExactly(CodePacking.pack(codes(block, 0, width), layout.bits()));
                    for (int run = 0; run < layout.runs(); run++) {
                        int index = position * layout.runs() + run;
                        assertThat(new GroupParameters(valueMinimums[index], valueSteps[index]))
                                .as("value parameters of position %d, run %d", position, run)
                                .isEqualTo(block.parameters(0, run * layout.valueRun()));
                    }
                }
            }
        }
    }

    /**
     * A prompt in two batches, then decode steps (each: append, attend, commit, which quantizes), then a follow-up
     * prompt of several rows, all fed identically to the CPU kivi cache and the device store: the attention outputs
     * (rows kernel, and split kernel + merge) agree to float rounding, and so do the statistics.
     */
    @ParameterizedTest(name = "{0} on {1}")
    @MethodSource("cases")
    void attendsAsTheCpuCacheOnTheSameInputs(String spec, KvCacheGeometry geometry) {
        KiviLayout layout = layout(spec, geometry);
        int width = layout.width();
        int queryWidth = geometry.queryWidth();
        int dimension = geometry.headDimension();
        float scale = (float) (1 / Math.sqrt(dimension));
        Random random = new Random(~spec.hashCode());
        try (EmulatedDevice device = new EmulatedDevice();
             CudaKiviCache cache = new CudaKiviCache(device, geometry, layout);
             KvCache cpu = Providers.createCache(spec, geometry)) {
            int maxRows = 20;
            int splitSize = 7;
            DevicePointer queries = device.allocate((long) maxRows * queryWidth * Float.BYTES);
            DevicePointer out = device.allocate((long) maxRows * queryWidth * Float.BYTES);
            DevicePointer partials = device.allocate((long) maxRows * queryWidth * Math.ceilDiv(geometry.maxTokens(), splitSize)
                    * (dimension + 2) * Float.BYTES);
            int[] steps = {20, 19, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 1, 1, 1, 1, 1, 1, 1, 1};
            boolean[] prompt = new boolean[steps.length];
            prompt[0] = prompt[1] = prompt[20] = true;
            for (int i = 0; i < steps.length; i++) {
                int rows = steps[i];
                KvCache.AttentionKind kind = prompt[i] ? KvCache.AttentionKind.PREFILL : KvCache.AttentionKind.DECODE;
                int position = cache.length();
                cache.reserve(rows);
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
                    DeviceWindow window = cache.window();
                    device.launch(KernelLaunches.attentionKivi(queries, window.keys(layer), window.values(layer),
                            window.capacity(), cache.keys(layer), cache.values(layer), layout,
                            geometry.queryHeads(), cache.quantizedKeys(), cache.quantizedValues(), position, rows,
                            scale, out));
                    float[] actual = new float[rows * queryWidth];
                    device.download(out, actual, 0, actual.length);
                    assertClose(actual, expected, "rows kernel, step " + i + ", layer " + layer);
                    device.launch(KernelLaunches.attentionSplitKivi(queries, window.keys(layer),
                            window.values(layer), window.capacity(), cache.keys(layer), cache.values(layer), layout,
                            geometry.queryHeads(), cache.quantizedKeys(), cache.quantizedValues(), position, rows,
                            splitSize, scale, partials));
                    device.launch(KernelLaunches.attentionMerge(partials, geometry.queryHeads(), dimension,
                            KernelLaunches.splits(position + rows, splitSize), rows, out));
                    device.download(out, actual, 0, actual.length);
                    assertClose(actual, expected, "split kernel, step " + i + ", layer " + layer);
                }
                cpu.commit(rows, kind);
                cache.commit(rows, kind);
                if (prompt[i] && (i + 1 == steps.length || !prompt[i + 1])) {
                    cpu.endPrefill();
                    cache.endPrefill();
                }
                assertThat(cache.stats()).as("stats after step %d", i).isEqualTo(cpu.stats());
            }
            assertThat(cache.quantizedKeys()).isPositive();
            assertThat(cache.quantizedValues()).isPositive();
            assertThat(cache.truncate(cache.length() - 1)).as("positions are packed: only 0 or all").isFalse();
            assertThat(cache.truncate(0)).isTrue();
            assertThat(cpu.truncate(0)).isTrue();
            assertThat(cache.stats()).isEqualTo(cpu.stats());
            device.free(queries);
            device.free(out);
            device.free(partials);
        }
    }

    private static KiviLayout layout(String spec, KvCacheGeometry geometry) {
        return KiviLayout.of(Providers.kvCaches().resolve(Spec.parse(spec)), geometry).orElseThrow();
    }

    private static int[] codes(MinMaxQuantizedBlock block, int row, int width) {
        int[] codes = new int[width];
        for (int c = 0; c < width; c++) {
            codes[c] = block.code(row, c);
        }
        return codes;
    }

    private static void assertClose(float[] actual, float[] expected, String what) {
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("%s, element %d", what, i)
                    .isCloseTo(expected[i], org.assertj.core.data.Offset.offset(2e-5f * (1 + Math.abs(expected[i]))));
        }
    }
}
