package dev.zipcache.cache;

import java.util.Arrays;

/**
 * Full-precision token vectors of one layer, keys or values, {@code [token][kvHead · headDimension]}, rounded to
 * fp16 as they are stored (the official code keeps its uncompressed buffer in the model's fp16). Holds a prompt until
 * it is compressed and the newest tokens between compressions.
 */
final class TokenBuffer {

    /** Capacity kept when the buffer is emptied: room for the decode buffer between compressions. */
    private static final int RETAINED_TOKENS = 256;

    private final int width;
    private float[] vectors = new float[0];
    private int count;

    TokenBuffer(int width) {
        this.width = width;
    }

    int count() {
        return count;
    }

    /** Appends {@code tokens} vectors from {@code source[offset ..]}. */
    void append(float[] source, int offset, int tokens) {
        int needed = (count + tokens) * width;
        if (needed > vectors.length) {
            // Geometric growth: a long prompt arrives in many small batches, and growing by a fixed step would copy
            // the whole buffer every few batches (O(L²) bytes moved at 32k tokens).
            vectors = Arrays.copyOf(vectors, Math.max(needed, vectors.length + vectors.length / 2));
        }
        for (int i = 0; i < tokens * width; i++) {
            vectors[count * width + i] = Float.float16ToFloat(Float.floatToFloat16(source[offset + i]));
        }
        count += tokens;
    }

    /** Keeps the first {@code tokens}; emptied, it gives back a prompt-sized array (decode needs few tokens). */
    void truncate(int tokens) {
        count = tokens;
        if (tokens == 0 && vectors.length > RETAINED_TOKENS * width) {
            vectors = new float[RETAINED_TOKENS * width];
        }
    }

    /** Drops the first {@code tokens}, moving the rest to the front. */
    void dropFirst(int tokens) {
        System.arraycopy(vectors, tokens * width, vectors, 0, (count - tokens) * width);
        count -= tokens;
    }

    /** The backing array: token {@code t}, channel {@code c} is at {@code t · width + c}. */
    float[] vectors() {
        return vectors;
    }

    /** One head's slice of the buffered tokens, as attention reads it. */
    Rows rows(int column, int length) {
        return new Rows() {
            @Override
            public void dots(int from, int count, float[] query, int queryOffset, float[] scores, int scoresOffset) {
                for (int t = 0; t < count; t++) {
                    scores[scoresOffset + t] = FloatVectors.dot(query, queryOffset, vectors,
                            (from + t) * width + column, length);
                }
            }

            @Override
            public void addWeighted(int from, int count, float[] weights, int weightsOffset, float[] out,
                                    int outOffset) {
                for (int t = 0; t < count; t++) {
                    FloatVectors.addScaled(weights[weightsOffset + t], vectors, (from + t) * width + column, out,
                            outOffset, length);
                }
            }

            @Override
            public void toFloats(int from, int count, float[] out, int outOffset) {
                for (int t = 0; t < count; t++) {
                    System.arraycopy(vectors, (from + t) * width + column, out, outOffset + t * length, length);
                }
            }
        };
    }

    /** Bytes held for {@code count} tokens at fp16. */
    long bytes() {
        return (long) count * width * Short.BYTES;
    }
}
