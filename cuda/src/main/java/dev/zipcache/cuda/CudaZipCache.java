package dev.zipcache.cuda;

import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.KvCacheStats;
import dev.zipcache.spi.SaliencyPolicy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * The {@code zipcache} KV cache in device memory: ZipCache's mixed-precision store as the CPU's
 * {@code MixedPrecisionKvCache} keeps it (ZIPCACHE.md §3–§7), with the same formulas, the same precision-group split
 * and the same streaming re-quantization cadence, so that both compute alike.
 *
 * <p>Tokens not yet compressed (a prompt, then up to {@code interval} decoded tokens) are fp16 in a
 * {@link DeviceWindow}; a prompt's attention over them is exact (the tiled fp16 kernel on an empty store). While a
 * prompt runs, the queries of its probe rows (the saliency policy's rows, known once the prompt's length is, at
 * {@link #reserve}) are kept on the device. When it ends, kernels compute each probe row's attention probabilities
 * over everything stored and accumulate them per KV head and token into the policy's scores; those scores (KV heads ×
 * tokens floats) are copied to the host, which picks each head's salient and regular tokens exactly as the CPU cache
 * does (a sort with ties broken by position) and uploads the choice; kernels then re-quantize both groups from their
 * dequantized rows plus the chosen tokens, keys channelwise per group and values CST, with fresh parameters. Every
 * {@code interval} decode steps the newest token's probabilities over the window are scored the same way (not
 * normalized) and the window is compressed likewise. The selection stays on the host because it is a sort of a few
 * thousand floats per head, done once per prompt or per {@code interval} steps; the kernels do everything per token.
 *
 * <p>The packed groups are sized for the whole context at creation (both groups at full length: the split is only
 * known as tokens arrive); the fp32 staging rows of a compression grow as needed.
 */
final class CudaZipCache extends DeviceKvCache {

    private final Device device;
    private final ZipLayout layout;
    private final List<DevicePointer> allocations = new ArrayList<>();
    private final DevicePointer[] codes = new DevicePointer[4];
    private final DevicePointer[] minimums = new DevicePointer[4];
    private final DevicePointer[] steps = new DevicePointer[4];
    private final DevicePointer channelScales;
    private final DeviceWindow window;
    private final long[] codeLayerBytes = new long[4];
    private final long[] parameterLayerBytes = new long[4];
    /** Per layer and KV head, the scoring decode step's probabilities over the window (ZIPCACHE.md §5.3). */
    private final float[][][] decodeScores;
    /** The scoring decode step's probe: its position and its softmax statistics per query head. */
    private final DevicePointer decodeProbe;
    private final DevicePointer decodeStats;
    private DevicePointer staging;
    private long stagingFloats;
    private DevicePointer indices;
    private long indexCount;
    private DevicePointer scores;
    private long scoreCount;
    private ProbePlan plan;
    private int salientRows;
    private int regularRows;
    private int decodeSteps;
    private boolean closed;

    /** Group indices of the arrays above. */
    private static final int SALIENT_KEYS = 0;
    private static final int REGULAR_KEYS = 1;
    private static final int SALIENT_VALUES = 2;
    private static final int REGULAR_VALUES = 3;

    CudaZipCache(Device device, KvCacheGeometry geometry, ZipLayout layout) {
        super("zipcache", geometry);
        this.device = device;
        this.layout = layout;
        long maxTokens = geometry.maxTokens();
        int width = layout.width();
        DeviceWindow made = null;
        try {
            for (int group = 0; group < 4; group++) {
                int bits = group == SALIENT_KEYS || group == SALIENT_VALUES ? layout.highBits() : layout.lowBits();
                codeLayerBytes[group] = maxTokens * layout.rowBytes(bits);
                // Keys: a (min, step) per channel; values: per row.
                parameterLayerBytes[group] = (group < SALIENT_VALUES ? width : maxTokens) * Short.BYTES;
                codes[group] = allocate(codeLayerBytes[group] * geometry.layers());
                minimums[group] = allocate(parameterLayerBytes[group] * geometry.layers());
                steps[group] = allocate(parameterLayerBytes[group] * geometry.layers());
            }
            channelScales = allocate((long) width * Short.BYTES * geometry.layers());
            decodeProbe = allocate(Integer.BYTES);
            decodeStats = allocate((long) geometry.queryHeads() * 2 * Float.BYTES);
            made = new DeviceWindow(device, geometry, Math.min(geometry.maxTokens(),
                    layout.interval() + DeviceWindow.SLACK));
        } catch (RuntimeException failure) {
            allocations.forEach(device::free);
            throw failure;
        }
        this.window = made;
        this.decodeScores = new float[geometry.layers()][geometry.kvHeads()][layout.interval()];
    }

    private DevicePointer allocate(long bytes) {
        DevicePointer pointer = device.allocate(bytes);
        allocations.add(pointer);
        return pointer;
    }

    Device device() {
        return device;
    }

    ZipLayout layout() {
        return layout;
    }

    DeviceWindow window() {
        return window;
    }

    /** Layer {@code layer}'s store as the kernels read it. */
    ZipStore store(int layer) {
        return new ZipStore(window.keys(layer), window.values(layer), window.capacity(), group(SALIENT_KEYS, layer),
                group(REGULAR_KEYS, layer), group(SALIENT_VALUES, layer), group(REGULAR_VALUES, layer),
                channelScales.plus((long) layer * layout.width() * Short.BYTES), salientRows, storedTokens());
    }

    private PackedRows group(int group, int layer) {
        return new PackedRows(codes[group].plus(layer * codeLayerBytes[group]),
                minimums[group].plus(layer * parameterLayerBytes[group]),
                steps[group].plus(layer * parameterLayerBytes[group]));
    }

    /** Compressed tokens: the rows of both groups (every layer holds the same). */
    int storedTokens() {
        return salientRows + regularRows;
    }

    int salientRows() {
        return salientRows;
    }

    int regularRows() {
        return regularRows;
    }

    /**
     * Whether every position is in the window from slot 0 on, as in a plain fp16 cache of the window's capacity: a
     * prompt on an empty store, which the fp16 attention kernels then read.
     */
    boolean holdsOnlyFullPrecision() {
        return storedTokens() == 0;
    }

    /** Bytes of device memory this cache holds now. */
    long allocatedBytes() {
        long bytes = 0;
        for (int group = 0; group < 4; group++) {
            bytes += (codeLayerBytes[group] + 2 * parameterLayerBytes[group]) * geometry.layers();
        }
        return bytes + (long) layout.width() * Short.BYTES * geometry.layers() + window.allocatedBytes()
                + stagingFloats * Float.BYTES + indexCount * Integer.BYTES + scoreCount * Float.BYTES;
    }

    /**
     * Makes room for {@code count} more tokens before a forward call: they fit the context and the window holds them
     * with every uncompressed position. For a prompt ({@code PREFILL}, which ends with {@link #endPrefill}) it also
     * asks the saliency policy for its rows over the tokens the prompt will leave uncompressed, so that the forward
     * pass keeps those rows' queries ({@link #keepProbeQueries}).
     *
     * @throws IllegalStateException when they would exceed the geometry's tokens
     */
    void reserve(int count, AttentionKind kind) {
        checkOpen();
        checkRoom(count);
        window.holdFor(storedTokens(), length, count);
        if (kind == AttentionKind.PREFILL && (plan == null || plan.length != length + count)) {
            releasePlan();
            plan = ProbePlan.make(this, length + count);
        }
    }

    /**
     * Keeps the queries of this layer's probe rows among {@code rows} rows at {@code position..} (a prompt batch's,
     * post-RoPE, {@code [row][queryWidth]} floats at {@code queries}).
     */
    void keepProbeQueries(int layer, DevicePointer queries, int rows, int position) {
        if (plan != null && plan.probes > 0) {
            device.launch(KernelLaunches.keepProbeQueries(queries, rows, position, geometry.queryWidth(),
                    plan.rows(layer), plan.probes, plan.queries(layer)));
        }
    }

    /**
     * Whether a decode row at {@code position} is the scoring step of the streaming cadence (ZIPCACHE.md §5.3, as
     * the CPU cache decides it): its probabilities over the window choose the window's salient tokens.
     */
    boolean scoringStep(int rows, int position, AttentionKind kind) {
        return kind == AttentionKind.DECODE && rows == 1 && storedTokens() > 0
                && (decodeSteps + 1) % layout.interval() == 0 && position + 1 - storedTokens() == layout.interval();
    }

    /**
     * The scoring step's observation for one layer: the decode row's probabilities ({@code query}, one row of
     * {@code queryWidth} floats, at {@code position}) over the window's tokens, summed over each KV head's query
     * heads, copied to the host for the compression after this step.
     */
    void scoreDecodeStep(int layer, DevicePointer query, int position) {
        float scale = attentionScale();
        DevicePointer probeRow = decodeProbe;
        DevicePointer stats = decodeStats;
        device.upload(probeRow, new int[] {position}, 1);
        ZipStore store = store(layer);
        device.launch(KernelLaunches.probeSoftmax(query, probeRow, 1, store, layout, geometry.queryHeads(), scale,
                stats));
        int tokens = position + 1 - storedTokens();
        DevicePointer out = scores((long) tokens * geometry.kvHeads());
        device.launch(KernelLaunches.probeScores(query, probeRow, 1, stats, store, layout, geometry.queryHeads(),
                storedTokens(), position + 1, ZipLayout.Scoring.NONE, scale, out));
        for (int kvHead = 0; kvHead < geometry.kvHeads(); kvHead++) {
            device.download(out.plusFloats((long) kvHead * tokens), decodeScores[layer][kvHead], 0, tokens);
        }
    }

    /** {@code 1/sqrt(headDimension)}, as the CPU's attention and the forward pass scale scores. */
    private float attentionScale() {
        return (float) (1.0 / Math.sqrt(geometry.headDimension()));
    }

    /** The CPU cache's cadence: every {@code interval} decode steps after a prompt, the window is compressed. */
    @Override
    public void commit(int count, AttentionKind kind) {
        checkOpen();
        checkRoom(count);
        length += count;
        if (kind == AttentionKind.DECODE && storedTokens() > 0) {
            decodeSteps += count;
            if (decodeSteps % layout.interval() == 0 && length - storedTokens() == layout.interval()) {
                float[][][] chosen = new float[geometry.layers()][][];
                for (int layer = 0; layer < chosen.length; layer++) {
                    chosen[layer] = decodeScores[layer];
                }
                compress(chosen);
                decodeSteps = 0;
            }
        }
    }

    /**
     * Scores the uncompressed tokens with the policy's probe rows (on the device, ZIPCACHE.md §5.2) and compresses
     * them; then the window, grown for the prompt, shrinks back to what decoding needs.
     */
    @Override
    public void endPrefill() {
        checkOpen();
        int first = storedTokens();
        int tokens = length - first;
        if (tokens > 0) {
            if (plan == null || plan.length != length || plan.firstToken != first) {
                releasePlan();
                throw new IllegalStateException("the prompt's probe rows were not planned for " + length + " tokens: "
                        + "call reserve(count, PREFILL) before the prompt's batches");
            }
            float[][][] promptScores = new float[geometry.layers()][][];
            for (int layer = 0; layer < geometry.layers(); layer++) {
                promptScores[layer] = promptScores(layer);
            }
            compress(promptScores);
            decodeSteps = 0;
        }
        releasePlan();
        window.shrinkAfterPrompt(storedTokens(), length, layout.interval());
    }

    /**
     * The policy's scores of the prompt's uncompressed tokens in one layer, per KV head (computed on the device from
     * the kept probe queries, then copied back), once every batch of the prompt has run.
     */
    float[][] promptScores(int layer) {
        if (plan == null || plan.length != length) {
            throw new IllegalStateException("no prompt of " + length + " tokens was planned");
        }
        return plan.scores(layer, attentionScale());
    }

    /**
     * Moves every uncompressed token into the groups (MixedPrecisionKvCache.compressBuffer): per layer and KV head the
     * lowest-scoring {@code floor((1 − salient ratio) · n)} go to the regular group in increasing score order (ties:
     * earlier first), the rest to the salient group in position order; then both groups are quantized again from
     * their current values with fresh parameters (§7).
     *
     * @param scores per layer and KV head, a score per uncompressed token
     */
    private void compress(float[][][] scores) {
        int first = storedTokens();
        int tokens = length - first;
        int newRegular = layout.regularCount(tokens);
        int newSalient = tokens - newRegular;
        int salient = salientRows + newSalient;
        int regular = regularRows + newRegular;
        int width = layout.width();
        DevicePointer rows = staging((long) (salient + regular) * width);
        DevicePointer chosen = indices((long) tokens * geometry.kvHeads());
        for (int layer = 0; layer < geometry.layers(); layer++) {
            device.upload(chosen, choose(scores[layer], tokens, newRegular), tokens * geometry.kvHeads());
            ZipStore store = store(layer);
            device.launch(KernelLaunches.zipGather(store.keyWindow(), store.capacity(), layout, first,
                    store.salientKeys(), store.regularKeys(), store.channelScales(), salientRows, newSalient,
                    regularRows, newRegular, false, chosen, rows));
            DevicePointer regularStart = rows.plusFloats((long) salient * width);
            if (salient > 0) {
                device.launch(KernelLaunches.zipFitChannels(rows, width, salient, layout.highBits(),
                        store.salientKeys()));
                device.launch(KernelLaunches.zipPackRows(rows, width, salient, layout.highBits(), false,
                        DevicePointer.NULL, store.salientKeys()));
            }
            if (regular > 0) {
                device.launch(KernelLaunches.zipFitChannels(regularStart, width, regular, layout.lowBits(),
                        store.regularKeys()));
                device.launch(KernelLaunches.zipPackRows(regularStart, width, regular, layout.lowBits(), false,
                        DevicePointer.NULL, store.regularKeys()));
            }
            // Values: gathered with the old channel scales, which are then replaced by fresh ones over both groups.
            device.launch(KernelLaunches.zipGather(store.valueWindow(), store.capacity(), layout, first,
                    store.salientValues(), store.regularValues(), store.channelScales(), salientRows, newSalient,
                    regularRows, newRegular, true, chosen, rows));
            device.launch(KernelLaunches.zipChannelScales(rows, width, salient + regular, store.channelScales()));
            if (salient > 0) {
                device.launch(KernelLaunches.zipFitRows(rows, width, salient, layout.highBits(),
                        store.channelScales(), store.salientValues()));
                device.launch(KernelLaunches.zipPackRows(rows, width, salient, layout.highBits(), true,
                        store.channelScales(), store.salientValues()));
            }
            if (regular > 0) {
                device.launch(KernelLaunches.zipFitRows(regularStart, width, regular, layout.lowBits(),
                        store.channelScales(), store.regularValues()));
                device.launch(KernelLaunches.zipPackRows(regularStart, width, regular, layout.lowBits(), true,
                        store.channelScales(), store.regularValues()));
            }
        }
        salientRows = salient;
        regularRows = regular;
    }

    /**
     * The rows the compression appends to the groups, {@code [row][kvHead]} buffer indices: the salient rows (each
     * head's salient tokens in position order), then the regular rows (each head's regular tokens in increasing score
     * order, ties by position), as MixedPrecisionKvCache.compressBuffer orders them.
     */
    int[] choose(float[][] headScores, int tokens, int regular) {
        int kvHeads = geometry.kvHeads();
        int salient = tokens - regular;
        int[] chosen = new int[tokens * kvHeads];
        for (int head = 0; head < kvHeads; head++) {
            float[] scoresOfHead = headScores[head];
            Integer[] order = IntStream.range(0, tokens).boxed().toArray(Integer[]::new);
            Arrays.sort(order, Comparator.comparingDouble((Integer token) -> scoresOfHead[token])
                    .thenComparingInt(token -> token));
            int[] salientTokens = Arrays.stream(order, regular, tokens).mapToInt(Integer::intValue).sorted().toArray();
            for (int j = 0; j < salient; j++) {
                chosen[j * kvHeads + head] = salientTokens[j];
            }
            for (int j = 0; j < regular; j++) {
                chosen[(salient + j) * kvHeads + head] = order[j];
            }
        }
        return chosen;
    }

    private DevicePointer staging(long floats) {
        if (floats > stagingFloats) {
            if (staging != null) {
                device.free(staging);
            }
            stagingFloats = Math.max(floats, stagingFloats + stagingFloats / 2);
            staging = device.allocate(stagingFloats * Float.BYTES);
        }
        return staging;
    }

    private DevicePointer indices(long count) {
        if (count > indexCount) {
            if (indices != null) {
                device.free(indices);
            }
            indexCount = Math.max(count, indexCount + indexCount / 2);
            indices = device.allocate(indexCount * Integer.BYTES);
        }
        return indices;
    }

    private DevicePointer scores(long count) {
        if (count > scoreCount) {
            if (scores != null) {
                device.free(scores);
            }
            scoreCount = Math.max(count, scoreCount + scoreCount / 2);
            scores = device.allocate(scoreCount * Float.BYTES);
        }
        return scores;
    }

    /**
     * As the CPU cache: emptying starts over; a length within the uncompressed tokens drops the newer ones (the
     * window is by position, so they are simply overwritten later); anything else is refused (positions are packed).
     */
    @Override
    public boolean truncate(int newLength) {
        checkOpen();
        releasePlan();
        if (newLength == 0) {
            length = 0;
            salientRows = 0;
            regularRows = 0;
            decodeSteps = 0;
            return true;
        }
        if (newLength < storedTokens() || newLength > length) {
            return newLength == length;
        }
        length = newLength;
        decodeSteps = storedTokens() > 0 ? newLength - storedTokens() : 0;
        return true;
    }

    /** MixedPrecisionKvCache.stats: the bytes it would hold, tokens per bit width, and the paper-style ratio. */
    @Override
    public KvCacheStats stats() {
        checkOpen();
        int buffered = length - storedTokens();
        long bytes = geometry.layers() * layout.layerBytes(salientRows, regularRows, buffered);
        TreeMap<Integer, Long> perBits = new TreeMap<>();
        perBits.merge(layout.highBits(), (long) salientRows, Long::sum);
        perBits.merge(layout.lowBits(), (long) regularRows, Long::sum);
        perBits.merge(16, (long) buffered, Long::sum);
        perBits.values().removeIf(count -> count == 0);
        return new KvCacheStats(length, bytes, geometry.fp16Bytes(length), perBits, layout.paperRatio(length));
    }

    private void releasePlan() {
        if (plan != null) {
            plan.close();
            plan = null;
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            releasePlan();
            allocations.forEach(device::free);
            for (DevicePointer pointer : new DevicePointer[] {staging, indices, scores}) {
                if (pointer != null) {
                    device.free(pointer);
                }
            }
            window.close();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("KV cache is closed");
        }
    }

    /**
     * A prompt's saliency observation: per layer the policy's rows over positions {@code firstToken..length − 1}
     * (sorted, duplicates kept: each is observed as often as drawn, §5.2), on the device with room for their
     * queries, and the softmax statistics of one layer's rows at a time.
     */
    private static final class ProbePlan implements AutoCloseable {

        private final CudaZipCache cache;
        final int firstToken;
        final int length;
        final int probes;
        private final DevicePointer rows;
        private final DevicePointer queries;
        private final DevicePointer stats;

        private ProbePlan(CudaZipCache cache, int firstToken, int length, int probes, DevicePointer rows,
                          DevicePointer queries, DevicePointer stats) {
            this.cache = cache;
            this.firstToken = firstToken;
            this.length = length;
            this.probes = probes;
            this.rows = rows;
            this.queries = queries;
            this.stats = stats;
        }

        /**
         * The policy's rows for a prompt ending at {@code length}. Rows before the prompt's first token (decoded
         * tokens still in the window) keep zero queries: the CPU cache keeps only prompt rows' queries, and those
         * slots are zero there too.
         */
        static ProbePlan make(CudaZipCache cache, int length) {
            KvCacheGeometry geometry = cache.geometry;
            ZipLayout layout = cache.layout;
            int first = cache.storedTokens();
            int layers = geometry.layers();
            int[][] rows = new int[layers][];
            for (int layer = 0; layer < layers; layer++) {
                rows[layer] = layout.scoring() == ZipLayout.Scoring.POSITION ? new int[0]
                        : layout.policy().scorer(new SaliencyPolicy.ScoringRequest(layer, first, length,
                                layout.seed()), geometry, layout.policyOptions()).rows();
                Arrays.sort(rows[layer]);
            }
            int probes = rows[0].length;
            Device device = cache.device;
            int slots = Math.max(1, probes);
            int queryWidth = geometry.queryWidth();
            DevicePointer rowTable = device.allocate((long) layers * slots * Integer.BYTES);
            DevicePointer queries = null;
            DevicePointer stats = null;
            try {
                queries = device.allocate((long) layers * slots * queryWidth * Float.BYTES);
                stats = device.allocate((long) slots * geometry.queryHeads() * 2 * Float.BYTES);
                float[] zeros = new float[queryWidth];
                for (int layer = 0; layer < layers; layer++) {
                    if (rows[layer].length != probes) {
                        throw new IllegalStateException("saliency policy " + layout.policy().name() + " observes "
                                + rows[layer].length + " rows in layer " + layer + " but " + probes + " in layer 0");
                    }
                    if (probes > 0) {
                        device.upload(rowTable.plus((long) layer * slots * Integer.BYTES), rows[layer], probes);
                    }
                    for (int probe = 0; probe < probes && rows[layer][probe] < cache.length; probe++) {
                        device.upload(queries.plusFloats(((long) layer * slots + probe) * queryWidth), zeros,
                                queryWidth);
                    }
                }
            } catch (RuntimeException failure) {
                for (DevicePointer pointer : new DevicePointer[] {rowTable, queries, stats}) {
                    if (pointer != null) {
                        device.free(pointer);
                    }
                }
                throw failure;
            }
            return new ProbePlan(cache, first, length, probes, rowTable, queries, stats);
        }

        DevicePointer rows(int layer) {
            return rows.plus((long) layer * Math.max(1, probes) * Integer.BYTES);
        }

        DevicePointer queries(int layer) {
            return queries.plusFloats((long) layer * Math.max(1, probes) * cache.geometry.queryWidth());
        }

        /** Layer {@code layer}'s scores per KV head over the plan's tokens (the {@code recent} policy: positions). */
        float[][] scores(int layer, float scale) {
            int tokens = length - firstToken;
            int kvHeads = cache.geometry.kvHeads();
            float[][] scores = new float[kvHeads][tokens];
            if (cache.layout.scoring() == ZipLayout.Scoring.POSITION) {
                for (float[] head : scores) {
                    for (int i = 0; i < tokens; i++) {
                        head[i] = i;
                    }
                }
                return scores;
            }
            ZipStore store = cache.store(layer);
            int queryHeads = cache.geometry.queryHeads();
            if (probes > 0) {
                cache.device.launch(KernelLaunches.probeSoftmax(queries(layer), rows(layer), probes, store,
                        cache.layout, queryHeads, scale, stats));
            }
            DevicePointer out = cache.scores((long) tokens * kvHeads);
            cache.device.launch(KernelLaunches.probeScores(queries(layer), rows(layer), probes, stats, store,
                    cache.layout, queryHeads, firstToken, length, cache.layout.scoring(), scale, out));
            for (int head = 0; head < kvHeads; head++) {
                cache.device.download(out.plusFloats((long) head * tokens), scores[head], 0, tokens);
            }
            return scores;
        }

        @Override
        public void close() {
            cache.device.free(rows);
            cache.device.free(queries);
            cache.device.free(stats);
        }
    }
}
