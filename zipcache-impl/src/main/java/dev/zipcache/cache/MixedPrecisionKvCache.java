package dev.zipcache.cache;

import dev.zipcache.quantize.MinMaxQuantizedBlock;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheStats;
import dev.zipcache.spi.KvQuantizer;
import dev.zipcache.spi.KvQuantizer.RowSource;
import dev.zipcache.spi.QuantizedBlock;
import dev.zipcache.spi.SaliencyPolicy;
import dev.zipcache.spi.SaliencyScorer;
import dev.zipcache.spi.SpecOptions;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * ZipCache's mixed-precision KV cache (ZIPCACHE.md §3–§7), also MiKV with other options.
 *
 * <p>A prompt is held in full precision while it is prefilled, so prefill attention is exact; its queries are kept
 * so that, when the prompt ends, the saliency policy can observe the rows it asks for (only those rows' attention
 * probabilities are computed). Each KV head's tokens are then split into a salient group (the
 * {@code salient-ratio} highest scores, high bits) and a regular group (low bits). Keys are quantized channelwise per
 * group and values channel-separably (CST), with the official code's row layout: row {@code j} of a group holds the
 * {@code j}-th token of that group in every head, salient tokens in position order and regular ones in increasing
 * score order. Since attention does not depend on the order of tokens, rows need no positions.
 *
 * <p>Decoded tokens wait in an fp16 buffer. Every {@code interval} steps the newest token's attention over the buffer
 * splits it the same way, and the whole sequence is dequantized and quantized again with fresh parameters (§7).
 */
final class MixedPrecisionKvCache extends BufferedKvCache implements ViewableCache {

    private final MixedPrecisionConfig config;
    private final Layer[] layers;
    /** Tokens in the quantized store (every layer holds the same). */
    private int storedTokens;
    /** Decode steps since the last compression. */
    private int decodeSteps;
    /**
     * The slice width the groups are laid out for ({@code KvQuantizer.quantize}'s last argument): one KV head's
     * channels where decode reads them with the group kernels (GQA groups of {@link MinMaxQuantizedBlock#GROUP_HEADS}),
     * so that each head streams its own codes; the whole width otherwise, since the single-head kernels read four rows
     * at once only where a slice lies in one plane of a row, which a head's own segment of 2- or 4-bit codes never does.
     */
    private final int sliceWidth;
    /** The prompt announced by {@link #beginPrefill}, until it ends; null when none was. */
    private PromptPlan plan;

    MixedPrecisionKvCache(KvCacheGeometry geometry, MixedPrecisionConfig config) {
        super(geometry);
        this.config = config;
        this.sliceWidth = geometry.groupSize() == MinMaxQuantizedBlock.GROUP_HEADS ? dimension : width;
        this.layers = new Layer[geometry.layers()];
        for (int layer = 0; layer < layers.length; layer++) {
            layers[layer] = new Layer(layer);
        }
    }

    /**
     * A prompt announced before its first batch: the saliency policy's scorer per layer, made for the positions the
     * prompt will leave uncompressed ({@code [storedTokens, end)}), its rows sorted, and the slot in
     * {@link Layer#promptQueries} of each position whose query a row reads (−1 for the rest, which are not kept).
     */
    private record PromptPlan(int end, SaliencyScorer[] scorers, int[][] rows, int[][] slots) {

        /** The slot of the uncompressed position {@code offset}, or −1; past the announced end too (endPrefill fails). */
        int slot(int layer, int offset) {
            return offset < slots[layer].length ? slots[layer][offset] : -1;
        }
    }

    /** One layer's quantized groups, full-precision buffer, and what saliency needs. */
    private final class Layer {
        QuantizedBlock salientKeys;
        QuantizedBlock regularKeys;
        QuantizedBlock salientValues;
        QuantizedBlock regularValues;
        int salientRows;
        int regularRows;
        /** The layer's full-precision buffer (the base class's): the prompt, then decoded tokens. */
        final TokenBuffer keys;
        final TokenBuffer values;
        /**
         * Queries of the uncompressed prompt rows, {@code [slot][queryWidth]}, kept until the prompt is scored: one
         * slot per probe row when the prompt was announced ({@link PromptPlan}), else one per row.
         */
        float[] promptQueries = new float[0];
        /** Summed attention of the scoring decode step over the buffer, per KV head. */
        final float[][] decodeScores = new float[geometry.kvHeads()][config.interval()];
        /** Per KV head: its slice of each group and of the buffer, and the view attention reads. */
        final Rows[] salientKeyRows = new Rows[geometry.kvHeads()];
        final Rows[] regularKeyRows = new Rows[geometry.kvHeads()];
        final Rows[] salientValueRows = new Rows[geometry.kvHeads()];
        final Rows[] regularValueRows = new Rows[geometry.kvHeads()];
        final Rows[] bufferKeyRows = new Rows[geometry.kvHeads()];
        final Rows[] bufferValueRows = new Rows[geometry.kvHeads()];
        final AttentionView[] views = new AttentionView[geometry.kvHeads()];

        Layer(int layer) {
            keys = bufferedKeys[layer];
            values = bufferedValues[layer];
            for (int head = 0; head < geometry.kvHeads(); head++) {
                bufferKeyRows[head] = keys.rows(head * dimension, dimension);
                bufferValueRows[head] = values.rows(head * dimension, dimension);
                views[head] = new AttentionView();
            }
        }

        /** Re-points the per-head slices after the groups were quantized again. */
        void sliceGroups() {
            for (int head = 0; head < geometry.kvHeads(); head++) {
                int column = head * dimension;
                salientKeyRows[head] = salientKeys == null ? null : Rows.of(salientKeys, column, dimension);
                regularKeyRows[head] = regularKeys == null ? null : Rows.of(regularKeys, column, dimension);
                salientValueRows[head] = salientValues == null ? null : Rows.of(salientValues, column, dimension);
                regularValueRows[head] = regularValues == null ? null : Rows.of(regularValues, column, dimension);
            }
        }

        /** Salient rows, regular rows, then the buffer: attention does not depend on token order. */
        AttentionView view(int head) {
            return views[head].clear()
                    .add(salientKeyRows[head], 0, salientValueRows[head], 0, salientRows)
                    .add(regularKeyRows[head], 0, regularValueRows[head], 0, regularRows)
                    .add(bufferKeyRows[head], 0, bufferValueRows[head], 0, keys.count());
        }

        int quantizedRows() {
            return salientRows + regularRows;
        }
    }

    /**
     * Plans which prompt rows' queries to keep: the saliency policy's rows for the prompt's final length, so that a
     * long prompt keeps a few percent of its queries rather than all of them (for a 32-layer model with 4,096-wide
     * queries, all of a 32k prompt's would take 17 GB). The buffers, which hold the whole prompt until it ends, are
     * sized for it once.
     */
    @Override
    public void beginPrefill(int tokens) {
        checkOpen();
        plan = null;
        if (tokens <= 0) {
            return;
        }
        int end = committed + tokens;
        SaliencyScorer[] scorers = new SaliencyScorer[layers.length];
        int[][] rows = new int[layers.length][];
        int[][] slots = new int[layers.length][];
        for (int layer = 0; layer < layers.length; layer++) {
            scorers[layer] = scorer(layer, end);
            rows[layer] = scorers[layer].rows().clone();
            Arrays.sort(rows[layer]);
            slots[layer] = new int[end - storedTokens];
            Arrays.fill(slots[layer], -1);
            int kept = 0;
            for (int row : rows[layer]) {
                if (slots[layer][row - storedTokens] < 0) {
                    slots[layer][row - storedTokens] = kept++;
                }
            }
            layers[layer].promptQueries = new float[kept * geometry.queryWidth()];
        }
        reserveBuffers(tokens);
        plan = new PromptPlan(end, scorers, rows, slots);
    }

    @Override
    public void append(int layer, float[] keys, int keysOffset, float[] values, int valuesOffset, int count) {
        super.append(layer, keys, keysOffset, values, valuesOffset, count);
        if (plan == null) {
            reserveQueries(layers[layer], bufferedKeys[layer].count());
        }
    }

    @Override
    public void attend(int layer, int kvHead, AttentionKind kind, float[] queries, int queriesOffset, int rows,
                       int firstPosition, float[] output, int outputOffset) {
        checkOpen();
        Layer state = layers[layer];
        int queryWidth = geometry.queryWidth();
        if (kind == AttentionKind.PREFILL) {
            keepPromptQueries(layer, state, kvHead, queries, queriesOffset, rows, firstPosition);
        }
        boolean scoringStep = kind == AttentionKind.DECODE && rows == 1 && storedTokens > 0
                && (decodeSteps + 1) % config.interval() == 0 && state.keys.count() == config.interval();
        if (!scoringStep) {
            attention.attendBatch(kvHead, state.view(kvHead), queries, queriesOffset, rows,
                    state.quantizedRows() + (firstPosition - storedTokens + 1), output, outputOffset);
            return;
        }
        for (int row = 0; row < rows; row++) {
            int visible = state.quantizedRows() + (firstPosition + row - storedTokens + 1);
            CausalAttention.ProbabilitySink sink = (observed, summed, count) -> System.arraycopy(summed,
                    state.quantizedRows(), state.decodeScores[kvHead], 0, count - state.quantizedRows());
            attention.attendRow(kvHead, state.view(kvHead), visible, queries, queriesOffset + row * queryWidth,
                    output, outputOffset + row * queryWidth, row, sink);
        }
    }

    /**
     * Copies the query heads of {@code kvHead} for the prompt rows that will be read (all of them when the prompt was
     * not announced); each KV head writes its own part of a slot.
     */
    private void keepPromptQueries(int layer, Layer state, int kvHead, float[] queries, int offset, int rows,
                                   int firstPosition) {
        int queryWidth = geometry.queryWidth();
        int group = geometry.groupSize();
        int firstRow = firstPosition - storedTokens;
        for (int row = 0; row < rows; row++) {
            int slot = plan == null ? firstRow + row : plan.slot(layer, firstRow + row);
            if (slot >= 0) {
                System.arraycopy(queries, offset + row * queryWidth + kvHead * group * dimension, state.promptQueries,
                        slot * queryWidth + kvHead * group * dimension, group * dimension);
            }
        }
    }

    @Override
    void afterCommit(int count, AttentionKind kind) {
        if (kind == AttentionKind.DECODE && storedTokens > 0) {
            decodeSteps += count;
            if (decodeSteps % config.interval() == 0 && layers[0].keys.count() == config.interval()) {
                // Layers are independent, and this re-quantizes the whole sequence (§7): worth the cores. The live set
                // is small here (codes and a short buffer), unlike at the prompt's end.
                Arrays.stream(layers).parallel().forEach(state -> {
                    float[][] scores = new float[geometry.kvHeads()][];
                    for (int head = 0; head < scores.length; head++) {
                        scores[head] = Arrays.copyOf(state.decodeScores[head], config.interval());
                    }
                    compressBuffer(state, scores);
                });
                storedTokens = committed;
                decodeSteps = 0;
            }
        }
    }

    /**
     * Grows the saved-query area before a step's attends, which run concurrently per KV head and so cannot grow it
     * themselves; the engine appends a layer before attending it.
     */
    private void reserveQueries(Layer state, int rows) {
        int needed = rows * geometry.queryWidth();
        if (state.promptQueries.length < needed) {
            state.promptQueries = Arrays.copyOf(state.promptQueries, Math.max(needed, 2 * state.promptQueries.length));
        }
    }

    @Override
    public void endPrefill() {
        checkOpen();
        int tokens = committed - storedTokens;
        if (tokens <= 0) {
            return;
        }
        // Layer by layer: at the prompt's end the live set is at its largest (the whole prompt in float, its queries),
        // so the transient copies of a re-quantization are better not multiplied by the cores here.
        if (plan != null && plan.end() != committed) {
            int announced = plan.end();
            plan = null;
            throw new IllegalStateException("a prompt ending at position " + announced + " was announced, but it ended"
                    + " at " + committed);
        }
        for (int layer = 0; layer < layers.length; layer++) {
            Layer state = layers[layer];
            float[][] scores = promptScores(layer, state, tokens);
            state.promptQueries = new float[0];
            compressBuffer(state, scores);
        }
        plan = null;
        storedTokens = committed;
        decodeSteps = 0;
    }

    /** Scores the buffered prompt tokens of one layer with the saliency policy (ZIPCACHE.md §5.2). */
    private float[][] promptScores(int layer, Layer state, int tokens) {
        SaliencyScorer scorer = plan != null ? plan.scorers()[layer] : scorer(layer, committed);
        int queryWidth = geometry.queryWidth();
        // Rows in position order, so that each chunk of probes reaches about as far (duplicates stay: §5.2).
        int[] rows = plan != null ? plan.rows()[layer] : scorer.rows();
        Arrays.sort(rows);
        int[] queryOffsets = new int[rows.length];
        int[] visibles = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            int offset = rows[i] - storedTokens;
            queryOffsets[i] = (plan != null ? plan.slot(layer, offset) : offset) * queryWidth;
            visibles[i] = state.quantizedRows() + (offset + 1);
        }
        // KV heads are independent (own workspace, own scorer sums), so they are scored in parallel: endPrefill has
        // no compute pool of its own.
        IntStream.range(0, geometry.kvHeads()).parallel().forEach(kvHead -> {
            float[] byPosition = new float[committed];
            attention.observeRows(kvHead, state.view(kvHead), state.promptQueries, queryOffsets, visibles, rows,
                    rows.length, (observed, summed, count) -> {
                        System.arraycopy(summed, state.quantizedRows(), byPosition, storedTokens,
                                count - state.quantizedRows());
                        scorer.observe(kvHead, observed, byPosition);
                    });
        });
        float[][] scores = new float[geometry.kvHeads()][tokens];
        for (int head = 0; head < scores.length; head++) {
            scorer.scores(head, scores[head]);
        }
        return scores;
    }

    /** The saliency policy's scorer for this layer's uncompressed positions up to {@code end}. */
    private SaliencyScorer scorer(int layer, int end) {
        return config.policy().scorer(new SaliencyPolicy.ScoringRequest(layer, storedTokens, end, config.seed()),
                geometry, config.policyOptions());
    }

    /** Query rows the prompt being prefilled keeps in {@code layer}, for tests. */
    int keptQueryRows(int layer) {
        return layers[layer].promptQueries.length / geometry.queryWidth();
    }

    /**
     * Moves every buffered token of one layer into the quantized groups: per KV head the lowest-scoring
     * {@code floor((1 − salient ratio) · n)} go to the regular group in increasing score order (ties: earlier
     * first), the rest to the salient group in position order; then both groups are quantized again from their
     * current values (§7: fresh parameters every time).
     */
    private void compressBuffer(Layer state, float[][] scores) {
        int tokens = state.keys.count();
        int newRegular = config.regularCount(tokens);
        int newSalient = tokens - newRegular;
        int[][] salientTokens = new int[geometry.kvHeads()][];
        int[][] regularTokens = new int[geometry.kvHeads()][];
        for (int head = 0; head < geometry.kvHeads(); head++) {
            int[] order = byScoreThenPosition(scores[head], tokens);
            regularTokens[head] = Arrays.copyOfRange(order, 0, newRegular);
            salientTokens[head] = Arrays.copyOfRange(order, newRegular, tokens);
            Arrays.sort(salientTokens[head]);
        }
        int salientRows = state.salientRows + newSalient;
        int regularRows = state.regularRows + newRegular;
        // Each group's rows are produced on demand (old rows dequantized, new ones from the fp16 buffer) rather than
        // gathered into one float copy of the sequence: at 32k tokens that copy was 33.5 MB per kind and layer with
        // 2 KV heads of 128 (134 MB with Llama-3-8B's 8), zeroed, written and read twice per re-compression.
        RowSource salientKeys = groupRows(state.keys, state.salientKeys, state.salientRows, salientTokens);
        RowSource regularKeys = groupRows(state.keys, state.regularKeys, state.regularRows, regularTokens);
        state.salientKeys = quantize(config.keyQuantizer(), config.keyOptions(), salientKeys, salientRows,
                config.highBits(), null);
        state.regularKeys = quantize(config.keyQuantizer(), config.keyOptions(), regularKeys, regularRows,
                config.lowBits(), null);
        RowSource salientValues = groupRows(state.values, state.salientValues, state.salientRows, salientTokens);
        RowSource regularValues = groupRows(state.values, state.regularValues, state.regularRows, regularTokens);
        // CST's channel scales are computed once over every token of both groups (ZIPCACHE.md §4).
        float[] scales = config.valueQuantizer().channelScales(salientValues.then(salientRows, regularValues),
                salientRows + regularRows, width, config.valueOptions());
        state.salientValues = quantize(config.valueQuantizer(), config.valueOptions(), salientValues, salientRows,
                config.highBits(), scales);
        state.regularValues = quantize(config.valueQuantizer(), config.valueOptions(), regularValues, regularRows,
                config.lowBits(), scales);
        state.salientRows = salientRows;
        state.regularRows = regularRows;
        state.sliceGroups();
        state.keys.truncate(0);
        state.values.truncate(0);
    }

    /**
     * Token indices in increasing score order, ties in position order ({@link Float#compare} order: −0 before +0):
     * each key is the score's bits made to sort as signed integers, above the token index, so one primitive sort
     * does it.
     */
    static int[] byScoreThenPosition(float[] scores, int tokens) {
        long[] keys = new long[tokens];
        for (int token = 0; token < tokens; token++) {
            int bits = Float.floatToIntBits(scores[token]);
            // Negative floats sort backwards as integers: flip their magnitude bits.
            bits ^= (bits >> 31) & Integer.MAX_VALUE;
            keys[token] = (long) bits << Integer.SIZE | token;
        }
        Arrays.sort(keys);
        int[] order = new int[tokens];
        for (int i = 0; i < tokens; i++) {
            order[i] = (int) keys[i];
        }
        return order;
    }

    /**
     * One group's rows of one kind, as the group will hold them: its old rows dequantized, then the buffered tokens
     * chosen for it in each head (row {@code oldRows + j} takes each head's {@code j}-th chosen token in that head's
     * channels).
     */
    private RowSource groupRows(TokenBuffer buffer, QuantizedBlock old, int oldRows, int[][] chosen) {
        return (row, out, offset) -> {
            if (row < oldRows) {
                old.dequantize(row, 0, out, offset, width);
                return;
            }
            for (int head = 0; head < chosen.length; head++) {
                buffer.copyTo(chosen[head][row - oldRows], head * dimension, dimension, out,
                        offset + head * dimension);
            }
        };
    }

    private QuantizedBlock quantize(KvQuantizer quantizer, SpecOptions options, RowSource rows, int rowCount,
                                    int bits, float[] scales) {
        return rowCount == 0 ? null : quantizer.quantize(rows, rowCount, width, bits, scales, options, sliceWidth);
    }

    @Override
    public AttentionView view(int layer, int kvHead) {
        return layers[layer].view(kvHead);
    }

    @Override
    public boolean truncate(int length) {
        checkOpen();
        plan = null;
        if (length == 0) {
            for (int layer = 0; layer < layers.length; layer++) {
                bufferedKeys[layer].truncate(0);
                bufferedValues[layer].truncate(0);
                layers[layer] = new Layer(layer);
            }
            storedTokens = 0;
            rewind(0);
            decodeSteps = 0;
            return true;
        }
        if (length < storedTokens || length > committed) {
            return length == committed;
        }
        for (Layer state : layers) {
            state.keys.truncate(length - storedTokens);
            state.values.truncate(length - storedTokens);
        }
        rewind(length);
        decodeSteps = storedTokens > 0 ? length - storedTokens : 0;
        return true;
    }

    @Override
    public KvCacheStats stats() {
        checkOpen();
        long bytes = 0;
        long salient = 0;
        long regular = 0;
        long buffered = 0;
        for (Layer state : layers) {
            bytes += blockBytes(state.salientKeys) + blockBytes(state.regularKeys) + blockBytes(state.salientValues)
                    + blockBytes(state.regularValues) + state.keys.bytes() + state.values.bytes();
            if (state.salientValues != null && state.regularValues != null) {
                bytes -= sharedScaleBytes(state.regularValues); // both value groups hold the same CST scales
            }
            salient += state.salientRows;
            regular += state.regularRows;
            buffered += state.keys.count();
        }
        Map<Integer, Long> perBits = new TreeMap<>();
        int layerCount = layers.length;
        perBits.merge(config.highBits(), salient / layerCount, Long::sum);
        perBits.merge(config.lowBits(), regular / layerCount, Long::sum);
        perBits.merge(16, buffered / layerCount, Long::sum);
        perBits.values().removeIf(count -> count == 0);
        return new KvCacheStats(committed, bytes, geometry.fp16Bytes(committed), new TreeMap<>(perBits),
                paperRatio(committed));
    }

    private static long blockBytes(QuantizedBlock block) {
        return block == null ? 0 : block.bytes();
    }

    /** Channel scales that the second value group repeats from the first: stored once, counted once. */
    private static long sharedScaleBytes(QuantizedBlock block) {
        return block instanceof MinMaxQuantizedBlock quantized ? quantized.channelScaleBytes() : 0;
    }

    /**
     * The paper's ratio (ZIPCACHE.md §8) for this geometry: hd = KV heads × head dimension, l = tokens, b = 1,
     * fp16 parameters: two (min, step) per key channel and group, plus per value channel one scale and per value row
     * a (min, step).
     */
    double paperRatio(long tokens) {
        return paperRatio(config.salientRatio(), config.highBits(), config.lowBits(), width, tokens, 1);
    }

    /**
     * ZIPCACHE.md §8: FP16 bits {@code 2·b·l·hd·16} over payload {@code 2·b·l·hd·(r·k_hi + (1−r)·k_lo)} plus fp16
     * parameters {@code 16·(4·hd + hd + 2·b·l)} (keys: min and step per channel and precision group; values: a scale
     * per channel and min and step per row).
     */
    static double paperRatio(double salientRatio, int highBits, int lowBits, double hd, double tokens, double batch) {
        double bitsPerElement = salientRatio * highBits + (1 - salientRatio) * lowBits;
        if (tokens == 0) {
            return 16.0 / bitsPerElement;
        }
        double fp16Bits = 2 * batch * tokens * hd * 16;
        double payloadBits = 2 * batch * tokens * hd * bitsPerElement;
        double parameterBits = 16 * (2 * 2 * hd + hd + 2 * batch * tokens);
        return fp16Bits / (payloadBits + parameterBits);
    }

    @Override
    public void close() {
        super.close();
        Arrays.fill(layers, null);
    }
}
