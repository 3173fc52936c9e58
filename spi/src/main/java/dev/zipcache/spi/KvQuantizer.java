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
}
