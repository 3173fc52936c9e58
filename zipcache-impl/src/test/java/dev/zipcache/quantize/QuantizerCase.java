package dev.zipcache.quantize;

import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;
import dev.zipcache.spi.SpecOptions;

import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * One scheme with its options, found through the registry as a cache would, the slice width its blocks are laid out
 * for (0: one segment, as {@code quantize} without a slice width gives), and random data to feed it.
 */
record QuantizerCase(String spec, KvQuantizer quantizer, SpecOptions options, int sliceWidth) {

    /**
     * Slice widths of the segmented layout: 8 (stories260K's heads) cuts every width that 8 divides into many
     * segments, so random slices cross segment and plane boundaries together; 64 is a real model's head.
     */
    private static final int[] SLICE_WIDTHS = {0, 8, 64};

    static final int[] BITS = {2, 3, 4, 8};

    /**
     * Every scheme, with group sizes that divide, do not divide, and exceed awkward widths, in each layout of
     * {@link #SLICE_WIDTHS}.
     */
    static List<QuantizerCase> all() {
        Providers<KvQuantizer> quantizers = Providers.quantizers();
        return Stream.of("tokenwise", "channelwise", "groupwise", "groupwise:group=5", "groupwise:group=8",
                        "cst", "cst:normalizer=max-abs")
                .flatMap(text -> IntStream.of(SLICE_WIDTHS).mapToObj(sliceWidth -> {
                    Spec spec = Spec.parse(text);
                    return new QuantizerCase(text, quantizers.find(spec.name()), quantizers.resolve(spec), sliceWidth);
                }))
                .toList();
    }

    MinMaxQuantizedBlock quantize(float[] values, int rows, int width, int bits) {
        return (MinMaxQuantizedBlock) (sliceWidth == 0
                ? quantizer.quantize(values, 0, rows, width, bits, null, options)
                : quantizer.quantize(values, 0, rows, width, bits, null, options, sliceWidth));
    }

    /** Gaussian values with a few channels scaled up, as outlier channels in real keys and values. */
    static float[] values(Random random, int rows, int width) {
        float[] channelGain = new float[width];
        for (int column = 0; column < width; column++) {
            channelGain[column] = random.nextInt(6) == 0 ? 8f : 1f;
        }
        float[] values = new float[rows * width];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * channelGain[i % width];
        }
        return values;
    }

    @Override
    public String toString() {
        return sliceWidth == 0 ? spec : spec + " in slices of " + sliceWidth;
    }
}
