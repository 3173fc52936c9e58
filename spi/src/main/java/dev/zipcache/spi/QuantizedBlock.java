package dev.zipcache.spi;

/**
 * A block of {@code rows × width} values stored as quantized codes plus parameters. The fused kernels work on one row
 * and a range of its columns (one KV head's slice of a row that spans several heads), without expanding the block.
 *
 * <p>Dequantized element: {@code x̂[row, column] = code · step + min}, with {@code step} and {@code min} taken from
 * wherever the scheme keeps them (per row, per column, per group), possibly multiplied by a per-column scale (CST).
 */
public interface QuantizedBlock {

    /** Rows (tokens) in the block. */
    int rows();

    /** Values per row (channels). */
    int width();

    /** Bits per code. */
    int bits();

    /** Bytes held: packed codes plus every parameter. */
    long bytes();

    /** Writes {@code x̂[row, column .. column + length)} to {@code out[outOffset ..]}. */
    void dequantize(int row, int column, float[] out, int outOffset, int length);

    /** Σ_i query[queryOffset + i] · x̂[row, column + i] for i < length, read from the codes. */
    float dot(int row, int column, float[] query, int queryOffset, int length);

    /** out[outOffset + i] += weight · x̂[row, column + i] for i < length, read from the codes. */
    void addWeighted(int row, int column, float weight, float[] out, int outOffset, int length);
}
