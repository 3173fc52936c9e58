package dev.zipcache.spi;

/**
 * A quantization scheme for blocks of key or value vectors (tokenwise, channelwise, groupwise, channel-separable
 * tokenwise...), found with {@link java.util.ServiceLoader} and selected by name. Register an implementation in
 * {@code META-INF/services/dev.zipcache.spi.KvQuantizer}.
 */
public interface KvQuantizer extends NamedProvider {

    /**
     * Quantizes {@code rows × width} values, row-major from {@code values[offset]}.
     *
     * @param bits          bits per code (2, 3, 4 or 8)
     * @param channelScales per-column scales to divide by before and multiply by after quantizing, shared by the
     *                      caller between blocks (CST); null lets the scheme compute its own if it uses any
     * @param options       this scheme's options, resolved against {@link #options()}
     */
    QuantizedBlock quantize(float[] values, int offset, int rows, int width, int bits, float[] channelScales,
                            SpecOptions options);

    /**
     * {@link #quantize(float[], int, int, int, int, float[], SpecOptions)} for a reader that reads the rows in slices
     * of {@code sliceWidth} columns (a cache: one KV head's channels), which a scheme may store slice by slice so
     * that each slice's rows are contiguous. The default ignores the hint.
     */
    default QuantizedBlock quantize(float[] values, int offset, int rows, int width, int bits, float[] channelScales,
                                    SpecOptions options, int sliceWidth) {
        return quantize(values, offset, rows, width, bits, channelScales, options);
    }

    /**
     * The per-column scales this scheme would use for these rows (CST: sqrt(max|x|) per column), or null when it uses
     * none; a cache computes them once over every token and passes them to each block it quantizes.
     */
    default float[] channelScales(float[] values, int offset, int rows, int width, SpecOptions options) {
        return null;
    }

    /**
     * {@link #quantize(float[], int, int, int, int, float[], SpecOptions, int)} of rows that the caller produces on
     * demand (a cache re-quantizing its sequence: old rows dequantized, new ones from its fp16 buffer), so that no
     * copy of the whole block need exist: a scheme may ask for a row more than once. The default copies the rows into
     * one array.
     */
    default QuantizedBlock quantize(RowSource source, int rows, int width, int bits, float[] channelScales,
                                    SpecOptions options, int sliceWidth) {
        return quantize(source.toArray(rows, width), 0, rows, width, bits, channelScales, options, sliceWidth);
    }

    /** {@link #channelScales(float[], int, int, int, SpecOptions)} of rows the caller produces on demand. */
    default float[] channelScales(RowSource source, int rows, int width, SpecOptions options) {
        return channelScales(source.toArray(rows, width), 0, rows, width, options);
    }

    /** The rows of a block, produced one at a time on demand. */
    @FunctionalInterface
    interface RowSource {

        /** Writes row {@code row}'s values to {@code out[offset .. offset + width)}. */
        void copyRow(int row, float[] out, int offset);

        /** The rows of a row-major array of rows of {@code width} values from {@code values[offset]}. */
        static RowSource of(float[] values, int offset, int width) {
            return (row, out, outOffset) -> System.arraycopy(values, offset + row * width, out, outOffset, width);
        }

        /** This source's first {@code rows} rows, then {@code next}'s, as one source. */
        default RowSource then(int rows, RowSource next) {
            return (row, out, offset) -> {
                if (row < rows) {
                    copyRow(row, out, offset);
                } else {
                    next.copyRow(row - rows, out, offset);
                }
            };
        }

        /** The first {@code rows} rows in one row-major array. */
        default float[] toArray(int rows, int width) {
            float[] values = new float[Math.multiplyExact(rows, width)];
            for (int row = 0; row < rows; row++) {
                copyRow(row, values, row * width);
            }
            return values;
        }
    }
}
