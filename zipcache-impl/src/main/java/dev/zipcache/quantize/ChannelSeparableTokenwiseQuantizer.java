package dev.zipcache.quantize;

import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.SpecOptions;

import java.util.List;

/**
 * {@code cst}: channel-separable tokenwise quantization (ZIPCACHE.md §4). Each column is divided by its scale
 * {@code s_c}, each row is quantized tokenwise (one fp16 (min, step) over all columns), and dequantized values are
 * multiplied by {@code s_c} again.
 *
 * <p>The official code computes the scales once over every token of both precision groups; a cache does the same
 * with {@link #channelScales} and passes them to {@link #quantize} for each group. Without them a block computes its
 * own from its rows.
 */
public final class ChannelSeparableTokenwiseQuantizer extends MinMaxQuantizer {

    /** The option that chooses the normalizer. */
    public static final String NORMALIZER = "normalizer";

    public ChannelSeparableTokenwiseQuantizer() {
        super("cst", "channel-separable tokenwise: per-channel scale, then one (min, step) per token (ZipCache values)",
                List.of(new OptionDescriptor(NORMALIZER, ChannelNormalizer.SQRT_MAX_ABS.optionValue(),
                        "channel scale: sqrt-max-abs (official code) or max-abs (paper's Algorithm 1)")));
    }

    /**
     * {@code s_c} over these rows, rounded to fp16 as they are stored, with an all-zero column's 0 kept (quantize
     * treats it as 1).
     */
    @Override
    public float[] channelScales(float[] values, int offset, int rows, int width, SpecOptions options) {
        checkBlock(values, offset, rows, width);
        return channelScales(RowSource.of(values, offset, width), rows, width, options);
    }

    /** {@link #channelScales(float[], int, int, int, SpecOptions)}, reading each row once. */
    @Override
    public float[] channelScales(RowSource source, int rows, int width, SpecOptions options) {
        checkShape(rows, width);
        ChannelNormalizer normalizer = ChannelNormalizer.parse(resolve(options).string(NORMALIZER));
        float[] scales = new float[width];
        float[] row = new float[width];
        for (int r = 0; r < rows; r++) {
            source.copyRow(r, row, 0);
            EncodeKernels.widenMagnitude(row, 0, scales, width);
        }
        for (int column = 0; column < width; column++) {
            if (!Float.isFinite(scales[column])) {
                throw new IllegalArgumentException("cst: column " + column + " holds a non-finite value");
            }
            scales[column] = Float.float16ToFloat(Float.floatToFloat16(normalizer.scale(scales[column])));
        }
        return scales;
    }

    @Override
    int group(int width, SpecOptions options) {
        ChannelNormalizer.parse(options.string(NORMALIZER));
        return width;
    }

    @Override
    short[] ownScales(RowSource source, int rows, int width, SpecOptions options) {
        float[] scales = channelScales(source, rows, width, options);
        short[] halves = new short[width];
        for (int column = 0; column < width; column++) {
            halves[column] = halfScale(scales[column]);
        }
        return halves;
    }
}
