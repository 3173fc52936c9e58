package dev.zipcache.quantize;

import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;
import dev.zipcache.spi.SpecOptions;

import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

/** One scheme with its options, found through the registry as a cache would, and random data to feed it. */
record QuantizerCase(String spec, KvQuantizer quantizer, SpecOptions options) {

    static final int[] BITS = {2, 3, 4, 8};

    /** Every scheme, with group sizes that divide, do not divide, and exceed awkward widths. */
    static List<QuantizerCase> all() {
        Providers<KvQuantizer> quantizers = Providers.quantizers();
        return Stream.of("tokenwise", "channelwise", "groupwise", "groupwise:group=5", "groupwise:group=8",
                        "cst", "cst:normalizer=max-abs")
                .map(text -> {
                    Spec spec = Spec.parse(text);
                    return new QuantizerCase(text, quantizers.find(spec.name()), quantizers.resolve(spec));
                })
                .toList();
    }

    MinMaxQuantizedBlock quantize(float[] values, int rows, int width, int bits) {
        return (MinMaxQuantizedBlock) quantizer.quantize(values, 0, rows, width, bits, null, options);
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
        return spec;
    }
}
