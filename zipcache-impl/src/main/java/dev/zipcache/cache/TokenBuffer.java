package dev.zipcache.cache;

import dev.zipcache.quantize.HalfVectors;

import java.util.Arrays;

/**
 * Full-precision token vectors of one layer, keys or values, {@code [token][kvHead · headDimension]}, stored as fp16
 * (the official code keeps its uncompressed buffer in the model's fp16). Holds a prompt until it is compressed and the
 * newest tokens between compressions. fp16 storage, not floats holding fp16 values: a 32k prompt of a Llama-3-8B
 * shape then takes what an fp16 cache takes (4.3 GB) rather than twice that, and reads give the same values.
 */
final class TokenBuffer {

    /** Capacity kept when the buffer is emptied: room for the decode buffer between compressions. */
    private static final int RETAINED_TOKENS = 256;

    private final int width;
    private short[] halves = new short[0];
    private int count;

    TokenBuffer(int width) {
        this.width = width;
    }

    int count() {
        return count;
    }

    /** Appends {@code tokens} vectors from {@code source[offset ..]}, rounded to fp16. */
    void append(float[] source, int offset, int tokens) {
        int needed = (count + tokens) * width;
        if (needed > halves.length) {
            // Geometric growth: a long prompt arrives in many small batches, and growing by a fixed step would copy
            // the whole buffer every few batches (O(L²) bytes moved at 32k tokens).
            halves = Arrays.copyOf(halves, Math.max(needed, halves.length + halves.length / 2));
        }
        for (int i = 0; i < tokens * width; i++) {
            halves[count * width + i] = Float.floatToFloat16(source[offset + i]);
        }
        count += tokens;
    }

    /**
     * Makes room for {@code tokens} tokens in all, exactly, so that a prompt announced up front arrives without the
     * geometric growth's copies (which at 32k tokens allocate about three times the prompt and briefly hold 2.5×).
     */
    void ensureCapacity(int tokens) {
        if ((long) tokens * width > halves.length) {
            halves = Arrays.copyOf(halves, Math.multiplyExact(tokens, width));
        }
    }

    /** Tokens the buffer holds without growing. */
    int capacity() {
        return halves.length / width;
    }

    /** Keeps the first {@code tokens}; emptied, it gives back a prompt-sized array (decode needs few tokens). */
    void truncate(int tokens) {
        count = tokens;
        if (tokens == 0 && halves.length > RETAINED_TOKENS * width) {
            halves = new short[RETAINED_TOKENS * width];
        }
    }

    /** Drops the first {@code tokens}, moving the rest to the front. */
    void dropFirst(int tokens) {
        System.arraycopy(halves, tokens * width, halves, 0, (count - tokens) * width);
        count -= tokens;
    }

    /** Tokens {@code [from, from + tokens)} as floats, {@code [token][width]}: what a quantizer takes. */
    float[] floats(int from, int tokens) {
        float[] out = new float[tokens * width];
        HalfVectors.toFloats(halves, from * width, out, 0, tokens * width);
        return out;
    }

    /** Channels {@code [column, column + length)} of token {@code token} as floats into {@code out[outOffset ..]}. */
    void copyTo(int token, int column, int length, float[] out, int outOffset) {
        HalfVectors.toFloats(halves, token * width + column, out, outOffset, length);
    }

    /** One head's slice of the buffered tokens, as attention reads it. */
    Rows rows(int column, int length) {
        return new Rows() {
            @Override
            public void dots(int from, int count, float[] query, int queryOffset, float[] scores, int scoresOffset) {
                for (int t = 0; t < count; t++) {
                    scores[scoresOffset + t] = HalfVectors.dot(query, queryOffset, halves,
                            (from + t) * width + column, length);
                }
            }

            @Override
            public void addWeighted(int from, int count, float[] weights, int weightsOffset, float[] out,
                                    int outOffset) {
                for (int t = 0; t < count; t++) {
                    HalfVectors.addScaled(weights[weightsOffset + t], halves, (from + t) * width + column, out,
                            outOffset, length);
                }
            }

            @Override
            public void toFloats(int from, int count, float[] out, int outOffset) {
                for (int t = 0; t < count; t++) {
                    copyTo(from + t, column, length, out, outOffset + t * length);
                }
            }
        };
    }

    /** Bytes held for {@code count} tokens at fp16. */
    long bytes() {
        return (long) count * width * Short.BYTES;
    }
}
