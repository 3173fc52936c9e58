package dev.zipcache.cache;

import dev.zipcache.spi.KvCacheStats;
import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.SpecOptions;

import java.util.Map;
import java.util.TreeMap;

/**
 * {@code uniform:bits=B}: every token quantized tokenwise per (token, KV head) as it is written, the newest included:
 * the simplest baseline, which shows what keeping recent tokens in full precision is worth. A prompt is held in full
 * precision while it is prefilled (prefill attention is exact) and quantized when it ends.
 */
final class UniformKvCache extends BufferedKvCache implements ViewableCache {

    private final int bits;
    private final KvQuantizer quantizer;
    private final SpecOptions quantizerOptions;
    /** [layer][kvHead] quantized rows of that head's {@code headDimension} channels. */
    private final QuantizedRows[][] keys;
    private final QuantizedRows[][] values;
    /** Position of the first buffered token of each layer. */
    private final int[] bufferStart;
    private final Rows[][] keyRows;
    private final Rows[][] valueRows;
    private final Rows[][] bufferKeyRows;
    private final Rows[][] bufferValueRows;
    private final AttentionView[][] views;

    UniformKvCache(KvCacheGeometry geometry, int bits, KvQuantizer quantizer, SpecOptions quantizerOptions) {
        super(geometry);
        this.bits = bits;
        this.quantizer = quantizer;
        this.quantizerOptions = quantizerOptions;
        int layers = geometry.layers();
        int heads = geometry.kvHeads();
        keys = new QuantizedRows[layers][heads];
        values = new QuantizedRows[layers][heads];
        bufferStart = new int[layers];
        keyRows = new Rows[layers][heads];
        valueRows = new Rows[layers][heads];
        bufferKeyRows = new Rows[layers][heads];
        bufferValueRows = new Rows[layers][heads];
        views = new AttentionView[layers][heads];
        for (int layer = 0; layer < layers; layer++) {
            for (int head = 0; head < heads; head++) {
                keys[layer][head] = new QuantizedRows();
                values[layer][head] = new QuantizedRows();
                keyRows[layer][head] = keys[layer][head].rows(0, dimension);
                valueRows[layer][head] = values[layer][head].rows(0, dimension);
                bufferKeyRows[layer][head] = bufferedKeys[layer].rows(head * dimension, dimension);
                bufferValueRows[layer][head] = bufferedValues[layer].rows(head * dimension, dimension);
                views[layer][head] = new AttentionView();
            }
        }
    }

    @Override
    public void attend(int layer, int kvHead, AttentionKind kind, float[] queries, int queriesOffset, int rows,
                       int firstPosition, float[] output, int outputOffset) {
        checkOpen();
        if (kind == AttentionKind.DECODE) {
            // Quantized as written: this head's share of the new token is quantized before it is attended to.
            quantizeHead(layer, kvHead, keys[layer][kvHead].count() - bufferStart[layer]);
        }
        AttentionView view = view(layer, kvHead);
        attention.attendRows(kvHead, view, queries, queriesOffset, rows, firstPosition, output, outputOffset);
    }

    /** The quantized tokens of the head, then the rest of the buffer. */
    @Override
    public AttentionView view(int layer, int kvHead) {
        int quantized = keys[layer][kvHead].count();
        int quantizedFromBuffer = quantized - bufferStart[layer];
        return views[layer][kvHead].clear()
                .add(keyRows[layer][kvHead], 0, valueRows[layer][kvHead], 0, quantized)
                .add(bufferKeyRows[layer][kvHead], quantizedFromBuffer, bufferValueRows[layer][kvHead],
                        quantizedFromBuffer, bufferedKeys[layer].count() - quantizedFromBuffer);
    }

    /** Quantizes one head's slice of the buffered tokens from {@code fromToken} on. */
    private void quantizeHead(int layer, int kvHead, int fromToken) {
        int tokens = bufferedKeys[layer].count() - fromToken;
        if (tokens <= 0) {
            return;
        }
        keys[layer][kvHead].add(quantizer.quantize(slice(bufferedKeys[layer], kvHead, fromToken, tokens), 0, tokens,
                dimension, bits, null, quantizerOptions));
        values[layer][kvHead].add(quantizer.quantize(slice(bufferedValues[layer], kvHead, fromToken, tokens), 0,
                tokens, dimension, bits, null, quantizerOptions));
    }

    private float[] slice(TokenBuffer buffer, int kvHead, int fromToken, int tokens) {
        float[] slice = new float[tokens * dimension];
        for (int token = 0; token < tokens; token++) {
            buffer.copyTo(fromToken + token, kvHead * dimension, dimension, slice, token * dimension);
        }
        return slice;
    }

    @Override
    void afterCommit(int count, AttentionKind kind) {
        if (kind == AttentionKind.DECODE) {
            clearBuffers();
        }
    }

    @Override
    public void endPrefill() {
        checkOpen();
        for (int layer = 0; layer < geometry.layers(); layer++) {
            for (int head = 0; head < geometry.kvHeads(); head++) {
                quantizeHead(layer, head, keys[layer][head].count() - bufferStart[layer]);
            }
        }
        clearBuffers();
    }

    private void clearBuffers() {
        for (int layer = 0; layer < geometry.layers(); layer++) {
            bufferedKeys[layer].truncate(0);
            bufferedValues[layer].truncate(0);
            bufferStart[layer] = committed;
        }
    }

    @Override
    void clearStored() {
        for (int layer = 0; layer < geometry.layers(); layer++) {
            for (int head = 0; head < geometry.kvHeads(); head++) {
                keys[layer][head].clear();
                values[layer][head].clear();
            }
            bufferedKeys[layer].truncate(0);
            bufferedValues[layer].truncate(0);
            bufferStart[layer] = 0;
        }
    }

    @Override
    public KvCacheStats stats() {
        checkOpen();
        long bytes = 0;
        long buffered = 0;
        for (int layer = 0; layer < geometry.layers(); layer++) {
            for (int head = 0; head < geometry.kvHeads(); head++) {
                bytes += keys[layer][head].bytes() + values[layer][head].bytes();
            }
            bytes += bufferedKeys[layer].bytes() + bufferedValues[layer].bytes();
            buffered += bufferedKeys[layer].count();
        }
        buffered /= geometry.layers();
        Map<Integer, Long> perBits = new TreeMap<>();
        perBits.put(bits, committed - buffered);
        if (buffered > 0) {
            perBits.put(16, buffered);
        }
        // Per (token, head): D codes of B bits plus an fp16 (min, step).
        double paper = 16.0 * dimension / (bits * dimension + 2 * 16);
        return new KvCacheStats(committed, bytes, geometry.fp16Bytes(committed), new TreeMap<>(perBits), paper);
    }
}
