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
final class KiviKvCache extends BufferedKvCache implements ViewableCache {

    private final int bits;
    private final int tokenGroup;
    private final int residual;
    private final KvQuantizer keyQuantizer;
    private final SpecOptions keyOptions;
    private final KvQuantizer valueQuantizer;
    private final SpecOptions valueOptions;
    private final int valueGroup;
    private final boolean beforeAttention;
    /** Whether a prompt has ended: from then on appended tokens are decoded ones. */
    private boolean decoding;
    private final QuantizedRows[] keys;
    private final QuantizedRows[] values;
    private final Rows[][] keyRows;
    private final Rows[][] valueRows;
    private final Rows[][] bufferKeyRows;
    private final Rows[][] bufferValueRows;
    private final AttentionView[][] views;

    KiviKvCache(KvCacheGeometry geometry, int bits, int tokenGroup, int residual, KvQuantizer keyQuantizer,
                SpecOptions keyOptions, KvQuantizer valueQuantizer, SpecOptions valueOptions, int valueGroup,
                boolean beforeAttention) {
        super(geometry);
        this.beforeAttention = beforeAttention;
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
        int heads = geometry.kvHeads();
        keyRows = new Rows[layers][heads];
        valueRows = new Rows[layers][heads];
        bufferKeyRows = new Rows[layers][heads];
        bufferValueRows = new Rows[layers][heads];
        views = new AttentionView[layers][heads];
        for (int layer = 0; layer < layers; layer++) {
            keys[layer] = new QuantizedRows();
            values[layer] = new QuantizedRows();
            for (int head = 0; head < heads; head++) {
                int column = head * dimension;
                keyRows[layer][head] = keys[layer].rows(column, dimension);
                valueRows[layer][head] = values[layer].rows(column, dimension);
                bufferKeyRows[layer][head] = bufferedKeys[layer].rows(column, dimension);
                bufferValueRows[layer][head] = bufferedValues[layer].rows(column, dimension);
                views[layer][head] = new AttentionView();
            }
        }
    }

    @Override
    public void attend(int layer, int kvHead, AttentionKind kind, float[] queries, int queriesOffset, int rows,
                       int firstPosition, float[] output, int outputOffset) {
        checkOpen();
        AttentionView view = view(layer, kvHead);
        attention.attendRows(kvHead, view, queries, queriesOffset, rows, firstPosition, output, outputOffset);
    }

    /**
     * Tokens in position order, split where keys or values switch from codes to the fp16 window: keys are quantized
     * up to {@code Kq} and values up to {@code Vq}, which differ.
     */
    @Override
    public AttentionView view(int layer, int head) {
        int quantizedKeys = keys[layer].count();
        int quantizedValues = values[layer].count();
        int both = Math.min(quantizedKeys, quantizedValues);
        int rest = bufferedKeys[layer].count() + quantizedKeys - Math.max(quantizedKeys, quantizedValues);
        AttentionView view = views[layer][head].clear()
                .add(keyRows[layer][head], 0, valueRows[layer][head], 0, both);
        if (quantizedKeys < quantizedValues) {
            view.add(bufferKeyRows[layer][head], 0, valueRows[layer][head], quantizedKeys,
                    quantizedValues - quantizedKeys);
        } else if (quantizedValues < quantizedKeys) {
            view.add(keyRows[layer][head], quantizedValues, bufferValueRows[layer][head], 0,
                    quantizedKeys - quantizedValues);
        }
        int keyOffset = Math.max(0, quantizedValues - quantizedKeys);
        int valueOffset = Math.max(0, quantizedKeys - quantizedValues);
        return view.add(bufferKeyRows[layer][head], keyOffset, bufferValueRows[layer][head], valueOffset, rest);
    }

    @Override
    public void append(int layer, float[] keys, int keysOffset, float[] values, int valuesOffset, int count) {
        super.append(layer, keys, keysOffset, values, valuesOffset, count);
        if (decoding && beforeAttention) {
            compress(layer);
        }
    }

    @Override
    void afterCommit(int count, AttentionKind kind) {
        if (kind == AttentionKind.DECODE && !beforeAttention) {
            compress();
        }
    }

    @Override
    public void endPrefill() {
        checkOpen();
        compress();
        decoding = true;
    }

    /**
     * Keys: every whole {@code residual} window of the buffer is quantized, {@code group} tokens per block. Values:
     * everything but the newest {@code residual} tokens is quantized. At the end of a prompt this is KIVI's prefill
     * rule, during decoding its streaming rule.
     */
    private void compress() {
        for (int layer = 0; layer < geometry.layers(); layer++) {
            compress(layer);
        }
    }

    private void compress(int layer) {
        {
            TokenBuffer bufferKeys = bufferedKeys[layer];
            int keyTokens = bufferKeys.count() / residual * residual;
            // Whole-width rows, not laid out per KV head: decode reads these blocks with the single-head kernels
            // (QuantizedRows), which read four rows at once only where a head's slice lies in one plane of a row; laid
            // out per head, the keys' scores took 1.8x as long (JMH DecodeAttention, kivi:bits=2, 16k).
            for (int start = 0; start < keyTokens; start += tokenGroup) {
                keys[layer].add(keyQuantizer.quantize(bufferKeys.floats(start, tokenGroup), 0, tokenGroup, width,
                        bits, null, keyOptions));
            }
            if (keyTokens > 0) {
                bufferKeys.dropFirst(keyTokens);
            }
            TokenBuffer bufferValues = bufferedValues[layer];
            int valueTokens = bufferValues.count() - residual;
            if (valueTokens > 0) {
                values[layer].add(valueQuantizer.quantize(bufferValues.floats(0, valueTokens), 0, valueTokens, width,
                        bits, null, valueOptions));
                bufferValues.dropFirst(valueTokens);
            }
        }
    }

    @Override
    void clearStored() {
        for (int layer = 0; layer < geometry.layers(); layer++) {
            keys[layer].clear();
            values[layer].clear();
            bufferedKeys[layer].truncate(0);
            bufferedValues[layer].truncate(0);
        }
        decoding = false;
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
