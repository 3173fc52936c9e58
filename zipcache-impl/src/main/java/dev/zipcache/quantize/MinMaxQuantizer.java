package dev.zipcache.quantize;

import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.OptionDescriptor;
import dev.zipcache.spi.SpecOptions;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The shared part of this package's quantizers: argument checks, optional channel scaling, fitting each group with
 * {@link MinMaxQuantization} and packing with {@link CodePacking}. A subclass only says where its groups lie.
 *
 * <p>Channel scales (non-null {@code channelScales} in {@link #quantize}) are applied by every scheme with per-row
 * parameters: values are divided by {@code s_c} before quantizing and multiplied by it after (ZIPCACHE.md §4). They
 * are rounded to fp16 first, as the official code stores them, and both directions use the rounded value. A scale of
 * 0 (an all-zero column) is stored and used as 1 so nothing divides by zero. The channelwise scheme rejects scales:
 * its per-column (min, step) already absorbs any per-column factor.
 */
public abstract sealed class MinMaxQuantizer implements KvQuantizer
        permits TokenwiseQuantizer, ChannelwiseQuantizer, GroupwiseQuantizer, ChannelSeparableTokenwiseQuantizer {

    private static final short HALF_ONE = Float.floatToFloat16(1f);

    /** Value of {@link MinMaxQuantizedBlock}'s group meaning one (min, step) per column. */
    static final int PER_COLUMN = 0;

    private final String name;
    private final String description;
    private final List<OptionDescriptor> options;

    MinMaxQuantizer(String name, String description, List<OptionDescriptor> options) {
        this.name = name;
        this.description = description;
        this.options = List.copyOf(options);
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String description() {
        return description;
    }

    @Override
    public final List<OptionDescriptor> options() {
        return options;
    }

    /**
     * {@inheritDoc}
     *
     * @param options this scheme's options, or null for the defaults
     * @return a {@link MinMaxQuantizedBlock}
     * @throws IllegalArgumentException for bad bits, shapes, scales or options, or values that do not fit fp16
     *                                  parameters
     */
    @Override
    public final MinMaxQuantizedBlock quantize(float[] values, int offset, int rows, int width, int bits,
                                               float[] channelScales, SpecOptions options) {
        return quantize(values, offset, rows, width, bits, channelScales, options, width);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The codes of each slice of {@code sliceWidth} columns are stored together when it divides {@code width} and
     * is a multiple of 8 (so each slice's codes fill whole bytes at every bit count and the block keeps exactly
     * {@code ceil(width · bits / 8)} bytes per row); otherwise the block is one slice.
     *
     * @return a {@link MinMaxQuantizedBlock}
     * @throws IllegalArgumentException for bad bits, shapes, scales or options, or values that do not fit fp16
     *                                  parameters
     */
    @Override
    public final MinMaxQuantizedBlock quantize(float[] values, int offset, int rows, int width, int bits,
                                               float[] channelScales, SpecOptions options, int sliceWidth) {
        checkBlock(values, offset, rows, width);
        return quantize(RowSource.of(values, offset, width), rows, width, bits, channelScales, options, sliceWidth);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Row by row, one row of scaled values and codes at a time, so no copy of the block is made: per-column
     * parameters (channelwise) read every row twice, once for the extremes and once to encode; per-row ones once
     * (and CST's own channel scales once more). A re-compression quantizes every token of a long context, where a
     * whole-block copy was hundreds of megabytes of memory traffic.
     *
     * @return a {@link MinMaxQuantizedBlock}
     * @throws IllegalArgumentException for bad bits, shapes, scales or options, or values that do not fit fp16
     *                                  parameters
     */
    @Override
    public final MinMaxQuantizedBlock quantize(RowSource source, int rows, int width, int bits, float[] channelScales,
                                               SpecOptions options, int sliceWidth) {
        MinMaxQuantization.checkBits(bits);
        Objects.requireNonNull(source, "source");
        checkShape(rows, width);
        int segment = sliceWidth > 0 && width % sliceWidth == 0 && sliceWidth % Byte.SIZE == 0 ? sliceWidth : width;
        SpecOptions resolved = resolve(options);
        int group = group(width, resolved);
        short[] scales = channelScales != null ? roundScales(channelScales, width, group)
                : ownScales(source, rows, width, resolved);

        float[] scaleValues = null;
        if (scales != null) {
            scaleValues = new float[width];
            for (int column = 0; column < width; column++) {
                scaleValues[column] = Float.float16ToFloat(scales[column]);
            }
        }
        float[] row = new float[width];
        int[] codes = new int[width];
        byte[] packed = new byte[rows * (width / segment) * CodePacking.rowBytes(segment, bits)];
        int maxCode = MinMaxQuantization.maxCode(bits);
        short[] minimums;
        short[] steps;
        if (group == PER_COLUMN) {
            float[] lowest = new float[width];
            float[] highest = new float[width];
            Arrays.fill(lowest, Float.POSITIVE_INFINITY);
            Arrays.fill(highest, Float.NEGATIVE_INFINITY);
            for (int r = 0; r < rows; r++) {
                EncodeKernels.widen(scaledRow(source, r, scaleValues, row), lowest, highest, width);
            }
            minimums = new short[width];
            steps = new short[width];
            for (int column = 0; column < width; column++) {
                GroupParameters parameters = MinMaxQuantization.parameters(lowest[column], highest[column], bits);
                minimums[column] = parameters.minimumBits();
                steps[column] = parameters.stepBits();
                lowest[column] = parameters.minimum();
                highest[column] = parameters.step();
            }
            for (int r = 0; r < rows; r++) {
                EncodeKernels.encodeColumns(scaledRow(source, r, scaleValues, row), lowest, highest, maxCode, codes,
                        width);
                packRow(codes, r, rows, width, segment, bits, packed);
            }
        } else {
            int groupsPerRow = Math.ceilDiv(width, group);
            minimums = new short[rows * groupsPerRow];
            steps = new short[rows * groupsPerRow];
            float[] extremes = new float[2];
            for (int r = 0; r < rows; r++) {
                scaledRow(source, r, scaleValues, row);
                for (int g = 0; g < groupsPerRow; g++) {
                    int first = g * group;
                    int count = Math.min(group, width - first);
                    EncodeKernels.extremes(row, first, count, extremes);
                    GroupParameters parameters = MinMaxQuantization.parameters(extremes[0], extremes[1], bits);
                    EncodeKernels.encodeRun(row, first, parameters.minimum(), parameters.step(), maxCode, codes,
                            first, count);
                    minimums[r * groupsPerRow + g] = parameters.minimumBits();
                    steps[r * groupsPerRow + g] = parameters.stepBits();
                }
                packRow(codes, r, rows, width, segment, bits, packed);
            }
        }
        return new MinMaxQuantizedBlock(rows, width, segment, bits, packed, group, minimums, steps, scales);
    }

    /** Packs row {@code row}'s codes segment by segment, each into its segment's region of the block. */
    private static void packRow(int[] codes, int row, int rows, int width, int segment, int bits, byte[] packed) {
        int segmentBytes = CodePacking.rowBytes(segment, bits);
        for (int first = 0; first < width; first += segment) {
            CodePacking.packRow(codes, first, segment, bits, packed, (first / segment * rows + row) * segmentBytes);
        }
    }

    /**
     * The run length of per-row parameters for this width ({@code width} itself for one pair per row), or
     * {@link #PER_COLUMN}.
     */
    abstract int group(int width, SpecOptions options);

    /** Row {@code r} of {@code source} into {@code row}, divided by the channel scales if there are any. */
    private static float[] scaledRow(RowSource source, int r, float[] scales, float[] row) {
        source.copyRow(r, row, 0);
        if (scales != null) {
            EncodeKernels.divide(row, 0, scales, row, row.length);
        }
        return row;
    }

    /** The fp16 channel scales a block uses when the caller passes none; null for none. */
    short[] ownScales(RowSource source, int rows, int width, SpecOptions options) {
        return null;
    }

    /** {@code options} checked against {@link #options()}, or the defaults when null. */
    final SpecOptions resolve(SpecOptions options) {
        Map<String, String> values = new LinkedHashMap<>();
        this.options.forEach(option -> values.put(option.key(), option.defaultValue()));
        if (options != null) {
            options.values().forEach((key, value) -> {
                if (!values.containsKey(key)) {
                    String known = this.options.stream().map(OptionDescriptor::key).collect(Collectors.joining(", "));
                    throw new IllegalArgumentException("quantizer '" + name + "' has no option '" + key + "'; "
                            + (known.isEmpty() ? "it takes none" : "its options: " + known));
                }
                values.put(key, value);
            });
        }
        return new SpecOptions(name, values);
    }

    /** Checks the shape and that {@code values} holds it from {@code offset}. */
    static void checkBlock(float[] values, int offset, int rows, int width) {
        Objects.requireNonNull(values, "values");
        checkShape(rows, width);
        Objects.checkFromIndexSize(offset, Math.multiplyExact(rows, width), values.length);
    }

    /** Checks that a block has at least one row and one column. */
    static void checkShape(int rows, int width) {
        if (rows < 1 || width < 1) {
            throw new IllegalArgumentException("a block needs at least one row and one column, got " + rows + " × "
                    + width);
        }
    }

    /** fp16 copies of caller-given scales, zero replaced by one. */
    private short[] roundScales(float[] channelScales, int width, int group) {
        if (group == PER_COLUMN) {
            throw new IllegalArgumentException("quantizer '" + name + "' takes no channel scales: its per-column"
                    + " (min, step) already absorbs any per-column factor; pass null");
        }
        if (channelScales.length != width) {
            throw new IllegalArgumentException("expected " + width + " channel scales (one per column), got "
                    + channelScales.length);
        }
        short[] scales = new short[width];
        for (int column = 0; column < width; column++) {
            float scale = channelScales[column];
            if (!(scale >= 0f) || !Float.isFinite(Float.float16ToFloat(Float.floatToFloat16(scale)))) {
                throw new IllegalArgumentException("channel scale " + column + " is " + scale
                        + "; scales must be finite, non-negative and fit fp16");
            }
            scales[column] = halfScale(scale);
        }
        return scales;
    }

    /** {@code scale} rounded to fp16, with 0 (an all-zero column) replaced by 1 so that nothing divides by zero. */
    static short halfScale(float scale) {
        short half = Float.floatToFloat16(scale);
        return Float.float16ToFloat(half) == 0f ? HALF_ONE : half;
    }
}
