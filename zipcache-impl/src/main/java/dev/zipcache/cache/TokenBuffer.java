package dev.zipcache.cache;

import java.util.Arrays;

/**
 * Full-precision token vectors of one layer, keys or values, {@code [token][kvHead · headDimension]}, rounded to
 * fp16 as they are stored (the official code keeps its uncompressed buffer in the model's fp16). Holds a prompt until
 * it is compressed and the newest tokens between compressions.
 */
final class TokenBuffer {

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
            vectors = Arrays.copyOf(vectors, Math.max(needed, Math.min(2 * vectors.length, needed + 256 * width)));
        }
        for (int i = 0; i < tokens * width; i++) {
            vectors[count * width + i] = Float.float16ToFloat(Float.floatToFloat16(source[offset + i]));
        }
        count += tokens;
    }

    /** Keeps the first {@code tokens}. */
    void truncate(int tokens) {
        count = tokens;
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
