package dev.zipcache.spi;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a KV cache holds, honestly counted.
 *
 * @param tokens             tokens stored (per layer; every layer holds the same tokens)
 * @param bytes              bytes actually held: codes, scales and zero-points, normalizers, bookkeeping and any
 *                           full-precision buffers
 * @param fp16Bytes          what the same tokens would take as plain fp16 keys and values
 * @param tokensPerBitWidth  stored token count per bit width (16 for fp16, 32 for fp32, ...), summed over layers and
 *                           KV heads and divided by their count, so that it adds up to {@code tokens}
 * @param paperRatio         the compression ratio by the ZipCache paper's formula for this geometry, or
 *                           {@code compressionRatio()} where the paper's formula does not apply
 */
public record KvCacheStats(long tokens, long bytes, long fp16Bytes, SortedMap<Integer, Long> tokensPerBitWidth,
                           double paperRatio) {

    public KvCacheStats {
        tokensPerBitWidth = new TreeMap<>(tokensPerBitWidth);
    }

    /** Stats of a cache that stores every token at one bit width with no overhead beyond the codes. */
    public static KvCacheStats uniform(long tokens, long bytes, long fp16Bytes, int bitWidth) {
        double ratio = bytes == 0 ? 1.0 : (double) fp16Bytes / bytes;
        return new KvCacheStats(tokens, bytes, fp16Bytes, new TreeMap<>(Map.of(bitWidth, tokens)),
                tokens == 0 ? 16.0 / bitWidth : ratio);
    }

    /** fp16-equivalent bytes divided by bytes held; 1 for an empty cache. */
    public double compressionRatio() {
        return bytes == 0 ? 1.0 : (double) fp16Bytes / bytes;
    }
}
