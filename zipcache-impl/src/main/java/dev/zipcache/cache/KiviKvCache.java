package dev.zipcache.cache;

import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheStats;
import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.SpecOptions;

import java.util.Map;
import java.util.TreeMap;

/**
 * KIVI (ZIPCACHE.md §10.1): keys quantized per channel over blocks of {@code group} consecutive tokens, values per
 * token over runs of {@code min(group, head dimension)} channels, and the newest tokens kept in fp16: keys are
 * quantized a {@code residual}-token window at a time once it fills, values one at a time as they leave the newest
 * {@code residual}. Quantization happens after the step's attention, so a new token always sees itself in fp16.
 */
final class KiviKvCache extends BufferedKvCache {

    private final int bits;
    private final int tokenGroup;
    private final int residual;
    private final KvQuantizer keyQuantizer;
    private final SpecOptions keyOptions;
    private final KvQuantizer valueQuantizer;
    private final SpecOptions valueOptions;
    private final int valueGroup;
    private final QuantizedRows[] keys;
    private final QuantizedRows[] values;
    private final CausalAttention.Keys[][] keyViews;
    private final CausalAttention.Values[][] valueViews;

    KiviKvCache(KvCacheGeometry geometry, int bits, int tokenGroup, int residual, KvQuantizer keyQuantizer,
                SpecOptions keyOptions, KvQuantizer valueQuantizer, SpecOptions valueOptions, int valueGroup) {
        super(geometry);
        this.bits = bits;
        this.tokenGroup = tokenGroup;
        this.residual = residual;
        this.keyQuantizer = keyQuantizer;
        this.keyOptions = keyOptions;
        this.valueQuantizer = valueQuantizer;
        this.valueOptions = valueOptions;
        this.valueGroup = valueGroup;
        int layers = geometry.layers();
        keys = new QuantizedRows[layers];
        values = new QuantizedRows[layers];
        keyViews = new CausalAttention.Keys[layers][geometry.kvHeads()];
        valueViews = new CausalAttention.Values[layers][geometry.kvHeads()];
        for (int layer = 0; layer < layers; layer++) {
            QuantizedRows layerKeys = keys[layer] = new QuantizedRows();
            QuantizedRows layerValues = values[layer] = new QuantizedRows();
            TokenBuffer bufferKeys = bufferedKeys[layer];
            TokenBuffer bufferValues = bufferedValues[layer];
            for (int head = 0; head < geometry.kvHeads(); head++) {
                int column = head * dimension;
                keyViews[layer][head] = (token, query, offset) -> token < layerKeys.count()
                        ? layerKeys.dot(token, column, query, offset, dimension)
                        : bufferKeys.dot(token - layerKeys.count(), column, query, offset, dimension);
                valueViews[layer][head] = (token, weight, out, offset) -> {
                    if (token < layerValues.count()) {
                        layerValues.addWeighted(token, column, weight, out, offset, dimension);
                    } else {
                        bufferValues.addWeighted(token - layerValues.count(), column, weight, out, offset,
                                dimension);
                    }
                };
            }
        }
    }

    @Override
    public void attend(int layer, int kvHead, AttentionKind kind, float[] queries, int queriesOffset, int rows,
                       int firstPosition, float[] output, int outputOffset) {
        checkOpen();
        int queryWidth = geometry.queryWidth();
        for (int row = 0; row < rows; row++) {
            attention.attendRow(kvHead, keyViews[layer][kvHead], valueViews[layer][kvHead], firstPosition + row + 1,
                    queries, queriesOffset + row * queryWidth, output, outputOffset + row * queryWidth, row, null);
        }
    }

    @Override
    void afterCommit(int count, AttentionKind kind) {
        if (kind == AttentionKind.DECODE) {
            compress();
        }
    }

    @Override
    public void endPrefill() {
        checkOpen();
        compress();
    }

    /**
     * Keys: every whole {@code residual} window of the buffer is quantized, {@code group} tokens per block. Values:
     * everything but the newest {@code residual} tokens is quantized. At the end of a prompt this is KIVI's prefill
     * rule, during decoding its streaming rule.
     */
    private void compress() {
        for (int layer = 0; layer < geometry.layers(); layer++) {
            TokenBuffer bufferKeys = bufferedKeys[layer];
            int keyTokens = bufferKeys.count() / residual * residual;
            for (int start = 0; start < keyTokens; start += tokenGroup) {
                keys[layer].add(keyQuantizer.quantize(bufferKeys.vectors(), start * width, tokenGroup, width, bits,
                        null, keyOptions));
            }
            if (keyTokens > 0) {
                bufferKeys.dropFirst(keyTokens);
            }
            TokenBuffer bufferValues = bufferedValues[layer];
            int valueTokens = bufferValues.count() - residual;
            if (valueTokens > 0) {
                values[layer].add(valueQuantizer.quantize(bufferValues.vectors(), 0, valueTokens, width, bits, null,
                        valueOptions));
                bufferValues.dropFirst(valueTokens);
            }
        }
    }

    @Override
    public boolean truncate(int length) {
        checkOpen();
        if (length == committed) {
            return true;
        }
        if (length != 0) {
            return false;
        }
        for (int layer = 0; layer < geometry.layers(); layer++) {
            keys[layer].clear();
            values[layer].clear();
            bufferedKeys[layer].truncate(0);
            bufferedValues[layer].truncate(0);
        }
        committed = 0;
        return true;
    }

    @Override
    public KvCacheStats stats() {
        checkOpen();
        long bytes = 0;
        long quantizedKeys = 0;
        long quantizedValues = 0;
        for (int layer = 0; layer < geometry.layers(); layer++) {
            bytes += keys[layer].bytes() + values[layer].bytes() + bufferedKeys[layer].bytes()
                    + bufferedValues[layer].bytes();
            quantizedKeys += keys[layer].count();
            quantizedValues += values[layer].count();
        }
        int layers = geometry.layers();
        long quantized = (quantizedKeys + quantizedValues) / (2L * layers);
        Map<Integer, Long> perBits = new TreeMap<>();
        perBits.put(bits, quantized);
        if (committed - quantized > 0) {
            perBits.put(16, committed - quantized);
        }
        // Paper-style bits: a quantized element costs its code plus an fp16 (scale, min) shared by its group.
        double keyBits = quantizedKeys / (double) layers * (bits + 32.0 / tokenGroup)
                + (committed - quantizedKeys / (double) layers) * 16;
        double valueBits = quantizedValues / (double) layers * (bits + 32.0 / valueGroup)
                + (committed - quantizedValues / (double) layers) * 16;
        double paper = committed == 0 ? 16.0 / bits : 2.0 * committed * 16 / (keyBits + valueBits);
        return new KvCacheStats(committed, bytes, geometry.fp16Bytes(committed), new TreeMap<>(perBits), paper);
    }
}
