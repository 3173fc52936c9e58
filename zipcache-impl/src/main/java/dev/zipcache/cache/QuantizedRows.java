package dev.zipcache.cache;

import dev.zipcache.spi.QuantizedBlock;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Tokens stored as rows of quantized blocks, in order: token {@code i} is row {@code rowOf[i]} of
 * {@code blockOf[i]}. Blocks of any size may be added (a chunk of 32 keys, one decoded token).
 */
final class QuantizedRows {

    private final List<QuantizedBlock> blocks = new ArrayList<>();
    private QuantizedBlock[] blockOf = new QuantizedBlock[0];
    private int[] rowOf = new int[0];
    private int count;
    private long bytes;

    int count() {
        return count;
    }

    long bytes() {
        return bytes;
    }

    void add(QuantizedBlock block) {
        int rows = block.rows();
        if (count + rows > blockOf.length) {
            int capacity = Math.max(count + rows, 2 * blockOf.length);
            blockOf = Arrays.copyOf(blockOf, capacity);
            rowOf = Arrays.copyOf(rowOf, capacity);
        }
        for (int row = 0; row < rows; row++) {
            blockOf[count] = block;
            rowOf[count++] = row;
        }
        blocks.add(block);
        bytes += block.bytes();
    }

    /** One head's slice of the stored tokens: consecutive tokens of one block go to it in one batched call. */
    Rows rows(int column, int length) {
        return new Rows() {
            @Override
            public void dots(int from, int count, float[] query, int queryOffset, float[] scores, int scoresOffset) {
                for (int t = from; t < from + count; ) {
                    QuantizedBlock block = blockOf[t];
                    int run = Math.min(from + count - t, block.rows() - rowOf[t]);
                    block.dotRows(rowOf[t], run, column, query, queryOffset, length, scores, scoresOffset + t - from);
                    t += run;
                }
            }

            @Override
            public void addWeighted(int from, int count, float[] weights, int weightsOffset, float[] out,
                                    int outOffset) {
                for (int t = from; t < from + count; ) {
                    QuantizedBlock block = blockOf[t];
                    int run = Math.min(from + count - t, block.rows() - rowOf[t]);
                    block.addWeightedRows(rowOf[t], run, column, weights, weightsOffset + t - from, out, outOffset,
                            length);
                    t += run;
                }
            }

            @Override
            public void toFloats(int from, int count, float[] out, int outOffset) {
                for (int t = 0; t < count; t++) {
                    blockOf[from + t].dequantize(rowOf[from + t], column, out, outOffset + t * length, length);
                }
            }
        };
    }

    void clear() {
        blocks.clear();
        Arrays.fill(blockOf, 0, count, null);
        count = 0;
        bytes = 0;
    }
}
