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

    float dot(int token, int column, float[] query, int queryOffset, int length) {
        return blockOf[token].dot(rowOf[token], column, query, queryOffset, length);
    }

    void addWeighted(int token, int column, float weight, float[] out, int outOffset, int length) {
        blockOf[token].addWeighted(rowOf[token], column, weight, out, outOffset, length);
    }

    void clear() {
        blocks.clear();
        Arrays.fill(blockOf, 0, count, null);
        count = 0;
        bytes = 0;
    }
}
