package dev.zipcache.engine.compute;

import dev.zipcache.engine.model.LayerWeights;
import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.model.ModelWeights;
import dev.zipcache.engine.tensor.WeightMatrix;
import dev.zipcache.spi.KvCache;

/**
 * The forward pass on the CPU (ARCHITECTURE.md "Data flow"): per layer RMSNorm → Q, K, V → RoPE → cache append →
 * cache attend → output projection → residual → RMSNorm → SwiGLU feed-forward → residual. Prompts go through in
 * batches of up to {@code maxBatch} tokens so that each weight row is read from memory once per batch; matrix rows
 * and attention heads are split over the {@link ComputePool}. Every buffer is allocated once, so decoding a token
 * allocates nothing.
 */
public final class CpuForwardPass implements ForwardPass {

    /**
     * Tokens per prefill batch. Each batch reads and decodes every weight row once, so larger batches amortize that;
     * past a few hundred tokens the batch's activations no longer stay in the cache. On the ~1B synthetic model
     * (benchmarks/NOTES.md §12) 256 beat 64 and 512.
     */
    public static final int DEFAULT_MAX_BATCH = 256;
    /** Multiply-adds below which a matrix product stays on the calling thread. */
    private static final long PARALLEL_THRESHOLD = 1 << 15;
    /**
     * Chunks per thread of a decode step's matrix products: one, so that each thread streams its rows as a few long
     * runs (a chunk's rows go in four slices, {@code MappedMatrix.dotRowsInPasses}) that the prefetchers follow.
     * attn-heavy at 512 tokens, medians of 1,000 steps: 1.74–1.84 ms per step with four chunks per thread, 2.2 with
     * sixteen, 1.44–1.53 with one (NOTES §20). Large matrices gain too: alternated in one process, the ~1B model's
     * feed-forward products took 20.63 ms with one chunk per thread against 21.18 with four (NOTES §21).
     */
    private static final int DECODE_CHUNKS_PER_THREAD = 1;

    private final ModelConfig config;
    private final ModelWeights weights;
    private final ComputePool pool;
    private final int maxBatch;
    private final Rope rope;

    private final float[] residual;
    private final float[] normalized;
    private final float[] queries;
    private final float[] keys;
    private final float[] values;
    private final float[] attention;
    private final float[] projected;
    private final float[] gate;
    private final float[] up;
    /** The batch's input transposed for {@link TokenPanels}, shared by the threads of one product. */
    private final float[] panel;
    private final float[] lastLogits;

    private final MatmulTask matmul = new MatmulTask();
    private final StackedDecodeTask stacked = new StackedDecodeTask();
    private final AttendTask attend = new AttendTask();

    public CpuForwardPass(ModelConfig config, ModelWeights weights, ComputePool pool, int maxBatch) {
        this.config = config;
        this.weights = weights;
        this.pool = pool;
        this.maxBatch = maxBatch;
        this.rope = new Rope(config, weights.ropeFrequencyDivisors(), maxBatch);
        int width = config.embeddingLength();
        residual = new float[maxBatch * width];
        normalized = new float[maxBatch * Math.max(width, config.queryWidth())];
        queries = new float[maxBatch * config.queryWidth()];
        keys = new float[maxBatch * config.kvWidth()];
        values = new float[maxBatch * config.kvWidth()];
        attention = new float[maxBatch * config.queryWidth()];
        projected = new float[maxBatch * width];
        gate = new float[maxBatch * config.feedForwardLength()];
        up = new float[maxBatch * config.feedForwardLength()];
        int widestInput = Math.max(width, Math.max(config.queryWidth(), config.feedForwardLength()));
        panel = new float[maxBatch >= TokenPanels.MINIMUM_BATCH ? widestInput * TokenPanels.stride(maxBatch) : 0];
        lastLogits = new float[config.vocabularySize()];
    }

    @Override
    public float[] forward(int[] tokens, int offset, int count, KvCache cache, KvCache.AttentionKind kind,
                           boolean allLogits) {
        return ForwardPass.inBatches(offset, count, maxBatch, config, cache, kind, allLogits, lastLogits,
                (first, rows, logits, firstLogitRow) -> runBatch(tokens, first, rows, cache, kind, logits,
                        firstLogitRow));
    }

    private void runBatch(int[] tokens, int offset, int rows, KvCache cache, KvCache.AttentionKind kind,
                          float[] logits, int firstLogitRow) {
        int width = config.embeddingLength();
        int position = cache.length();
        for (int row = 0; row < rows; row++) {
            int token = tokens[offset + row];
            if (token < 0 || token >= config.vocabularySize()) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of "
                        + config.vocabularySize());
            }
            weights.tokenEmbedding().dequantizeRow(token, residual, row * width);
        }
        rope.prepare(position, rows);
        for (int layer = 0; layer < config.layers(); layer++) {
            LayerWeights weightsOfLayer = weights.layers().get(layer);
            attentionBlock(layer, weightsOfLayer, rows, position, cache, kind);
            feedForwardBlock(weightsOfLayer, rows);
        }
        cache.commit(rows, kind);
        if (logits != null) {
            classify(rows, logits, firstLogitRow);
        }
    }

    private void attentionBlock(int layer, LayerWeights layerWeights, int rows, int position, KvCache cache,
                                KvCache.AttentionKind kind) {
        int width = config.embeddingLength();
        for (int row = 0; row < rows; row++) {
            Kernels.rmsNorm(normalized, row * width, residual, row * width, layerWeights.attentionNorm(), width,
                    config.rmsEpsilon());
        }
        if (rows == 1) {
            stacked.set(normalized, layerWeights.queryProjection(), queries, layerWeights.keyProjection(), keys,
                    layerWeights.valueProjection(), values);
            runStacked();
        } else {
            multiply(layerWeights.queryProjection(), normalized, rows, queries);
            multiply(layerWeights.keyProjection(), normalized, rows, keys, true);
            multiply(layerWeights.valueProjection(), normalized, rows, values, true);
        }
        if (layerWeights.queryBias() != null) {
            Kernels.addBias(queries, layerWeights.queryBias(), rows);
            Kernels.addBias(keys, layerWeights.keyBias(), rows);
            Kernels.addBias(values, layerWeights.valueBias(), rows);
        }
        rope.apply(queries, rows, config.heads());
        rope.apply(keys, rows, config.kvHeads());
        cache.append(layer, keys, 0, values, 0, rows);
        attend.set(cache, layer, kind, rows, position);
        pool.parallelFor(config.kvHeads(), 1, attend);
        multiply(layerWeights.outputProjection(), attention, rows, projected);
        Kernels.add(residual, projected, rows * width);
    }

    private void feedForwardBlock(LayerWeights layerWeights, int rows) {
        int width = config.embeddingLength();
        for (int row = 0; row < rows; row++) {
            Kernels.rmsNorm(normalized, row * width, residual, row * width, layerWeights.feedForwardNorm(), width,
                    config.rmsEpsilon());
        }
        if (rows == 1) {
            stacked.set(normalized, layerWeights.gateProjection(), gate, layerWeights.upProjection(), up, null, null);
            runStacked();
        } else {
            multiply(layerWeights.gateProjection(), normalized, rows, gate);
            multiply(layerWeights.upProjection(), normalized, rows, up, true);
        }
        Kernels.swiGlu(gate, up, 0, rows * config.feedForwardLength());
        multiply(layerWeights.downProjection(), gate, rows, projected);
        Kernels.add(residual, projected, rows * width);
    }

    private void classify(int rows, float[] logits, int firstLogitRow) {
        int width = config.embeddingLength();
        int vocabulary = config.vocabularySize();
        int from = firstLogitRow < 0 ? rows - 1 : 0;
        for (int row = from; row < rows; row++) {
            Kernels.rmsNorm(normalized, (row - from) * width, residual, row * width, weights.outputNorm(), width,
                    config.rmsEpsilon());
        }
        int outRows = rows - from;
        if (firstLogitRow < 0) {
            multiply(weights.classifier(), normalized, outRows, logits);
        } else {
            float[] block = firstLogitRow == 0 && outRows * vocabulary == logits.length ? logits
                    : new float[outRows * vocabulary];
            multiply(weights.classifier(), normalized, outRows, block);
            if (block != logits) {
                System.arraycopy(block, 0, logits, firstLogitRow * vocabulary, outRows * vocabulary);
            }
        }
    }

    /** out[b, r] = Σ_c W[r, c] · in[b, c] for {@code batch} rows of input. */
    private void multiply(WeightMatrix matrix, float[] input, int batch, float[] output) {
        multiply(matrix, input, batch, output, false);
    }

    /**
     * {@link #multiply(WeightMatrix, float[], int, float[])}; {@code panelReady} says that the previous product had
     * the same input, whose token panel (the transposed batch) can then be reused.
     */
    private void multiply(WeightMatrix matrix, float[] input, int batch, float[] output, boolean panelReady) {
        if (batch >= TokenPanels.MINIMUM_BATCH && !panelReady) {
            TokenPanels.transpose(input, batch, matrix.columns(), panel);
        }
        matmul.set(matrix, input, batch, output, panel);
        long work = (long) matrix.rows() * matrix.columns() * batch;
        // A prefill's products keep four chunks per thread for balance; each chunk reuses the token panel.
        runRows(matmul, matrix.rows(), work, batch == 1 ? DECODE_CHUNKS_PER_THREAD : 4);
    }

    /** {@link #stacked}'s products as one loop (one wait at its end instead of one per matrix). */
    private void runStacked() {
        runRows(stacked, stacked.rows(), (long) stacked.rows() * stacked.columns(), DECODE_CHUNKS_PER_THREAD);
    }

    /** A product's rows on the calling thread under {@link #PARALLEL_THRESHOLD} multiply-adds, else on the pool. */
    private void runRows(ComputePool.RangeTask task, int rows, long work, int chunksPerThread) {
        if (work < PARALLEL_THRESHOLD) {
            task.run(0, rows);
        } else {
            pool.parallelFor(rows, 16, chunksPerThread, task);
        }
    }

    @Override
    public void close() {
        // buffers are plain arrays; the pool belongs to the caller
    }

    /**
     * A decode step's products of one input with two or three matrices (query, key and value; gate and up), as one
     * loop over their rows laid end to end: a range that crosses from one matrix into the next takes the rows of
     * each. One reusable instance, so a step allocates nothing.
     *
     * <p>The matrices are fields, not an array: HotSpot compiled the array stores with a speculative type check that
     * failed on the next prefill-then-decode turn, and each failure cost a recompilation of the calling layer, four
     * times in a row, while the compiler thread took one of the two cores (NOTES §21).
     */
    static final class StackedDecodeTask implements ComputePool.RangeTask {
        private float[] input;
        private WeightMatrix first;
        private float[] firstOutput;
        private WeightMatrix second;
        private float[] secondOutput;
        private WeightMatrix third;
        private float[] thirdOutput;
        private int rows;

        /** The products of {@code input} with each matrix into its output; a null third matrix leaves two. */
        void set(float[] input, WeightMatrix first, float[] firstOutput, WeightMatrix second, float[] secondOutput,
                 WeightMatrix third, float[] thirdOutput) {
            this.input = input;
            this.first = first;
            this.firstOutput = firstOutput;
            this.second = second;
            this.secondOutput = secondOutput;
            this.third = third;
            this.thirdOutput = thirdOutput;
            rows = first.rows() + second.rows() + (third == null ? 0 : third.rows());
        }

        int rows() {
            return rows;
        }

        int columns() {
            return first.columns();
        }

        @Override
        public void run(int start, int end) {
            int base = runPart(first, firstOutput, 0, start, end);
            base = runPart(second, secondOutput, base, start, end);
            if (third != null) {
                runPart(third, thirdOutput, base, start, end);
            }
        }

        /** The rows of [start, end) that fall in {@code matrix}, whose first row is row {@code base} of the stack. */
        private int runPart(WeightMatrix matrix, float[] output, int base, int start, int end) {
            int from = Math.max(start, base);
            int to = Math.min(end, base + matrix.rows());
            if (from < to) {
                matrix.dotRows(from - base, to - from, input, 0, output, from - base);
            }
            return base + matrix.rows();
        }
    }

    /** A matrix product over a range of output rows; one reusable instance, so a loop allocates nothing. */
    private static final class MatmulTask implements ComputePool.RangeTask {
        /** Batches at least this large decode weight rows once instead of per token. */
        private static final int BATCH_DEQUANTIZE_THRESHOLD = 4;
        private static final int TILE = 4;
        /** Floats of decoded weight rows per block: 512 KiB, half of a current x86 core's L2 cache. */
        private static final int DECODED_BLOCK_FLOATS = 128 * 1024;
        private static final ThreadLocal<float[]> SCRATCH_ROWS = ThreadLocal.withInitial(() -> new float[0]);
        private static final ThreadLocal<float[]> TILE_OUTPUT = ThreadLocal.withInitial(() -> new float[16]);
        private static final ThreadLocal<float[]> PANEL_SCRATCH =
                ThreadLocal.withInitial(() -> new float[TokenPanels.scratchFloats()]);
        /**
         * Floats of decoded weight rows per block of the panel product: 256 KiB, so that the block and a tile's panel
         * (48 tokens of 2,048 columns: 384 KiB) share a current x86 core's 1 MiB L2 cache.
         */
        private static final int PANEL_BLOCK_FLOATS = 64 * 1024;

        private WeightMatrix matrix;
        private float[] input;
        private int batch;
        private float[] output;
        private float[] panel;

        void set(WeightMatrix matrix, float[] input, int batch, float[] output, float[] panel) {
            this.matrix = matrix;
            this.input = input;
            this.batch = batch;
            this.output = output;
            this.panel = panel;
        }

        @Override
        public void run(int start, int end) {
            int rows = matrix.rows();
            int columns = matrix.columns();
            if (batch < BATCH_DEQUANTIZE_THRESHOLD) {
                // Decode: a matrix-vector product per token, over this task's rows at once so that the batched
                // kernels share each loaded input vector between several rows.
                for (int b = 0; b < batch; b++) {
                    matrix.dotRows(start, end - start, input, b * columns, output, b * rows + start);
                }
                return;
            }
            if (batch >= TokenPanels.MINIMUM_BATCH) {
                multiplyPanels(start, end, rows, columns);
                return;
            }
            // Prefill: decode a block of weight rows into floats once, a block sized to stay in the core's L2 cache,
            // then sweep the batch over it in 4×4 tiles (each loaded vector serves four dot products). Tokens are the
            // outer loop within a block, so each group of four input rows comes from memory once per block and is
            // then reused from L1 by every row tile of the block; leftover rows and tokens go one by one.
            int blockRows = Math.max(TILE, DECODED_BLOCK_FLOATS / columns / TILE * TILE);
            float[] decoded = scratchRows(Math.min(blockRows, end - start) * columns);
            float[] tile = TILE_OUTPUT.get();
            for (int blockStart = start; blockStart < end; blockStart += blockRows) {
                int blockEnd = Math.min(end, blockStart + blockRows);
                for (int row = blockStart; row < blockEnd; row++) {
                    matrix.dequantizeRow(row, decoded, (row - blockStart) * columns);
                }
                int tiledEnd = blockStart + (blockEnd - blockStart) / TILE * TILE;
                int b = 0;
                for (; b + TILE <= batch; b += TILE) {
                    for (int row = blockStart; row < tiledEnd; row += TILE) {
                        TiledDot.dot4x4(decoded, (row - blockStart) * columns, columns, input, b * columns, columns,
                                columns, tile);
                        for (int r = 0; r < TILE; r++) {
                            for (int t = 0; t < TILE; t++) {
                                output[(b + t) * rows + row + r] = tile[TILE * r + t];
                            }
                        }
                    }
                }
                for (; b < batch; b++) {
                    for (int row = blockStart; row < tiledEnd; row++) {
                        output[b * rows + row] =
                                FloatDot.dot(decoded, (row - blockStart) * columns, input, b * columns, columns);
                    }
                }
                for (int row = tiledEnd; row < blockEnd; row++) {
                    for (b = 0; b < batch; b++) {
                        output[b * rows + row] =
                                FloatDot.dot(decoded, (row - blockStart) * columns, input, b * columns, columns);
                    }
                }
            }
        }

        /**
         * Prefill of a large batch ({@link TokenPanels}): a block of weight rows is decoded into floats once, then
         * the token tiles sweep it, each tile's panel staying in the cache across the block's rows. Leftover rows
         * (fewer than 4) go token by token.
         */
        private void multiplyPanels(int start, int end, int rows, int columns) {
            int blockRows = Math.max(TokenPanels.ROWS, PANEL_BLOCK_FLOATS / columns / TokenPanels.ROWS
                    * TokenPanels.ROWS);
            float[] decoded = scratchRows(Math.min(blockRows, end - start) * columns);
            float[] tileSums = PANEL_SCRATCH.get();
            int stride = TokenPanels.stride(batch);
            for (int blockStart = start; blockStart < end; blockStart += blockRows) {
                int blockEnd = Math.min(end, blockStart + blockRows);
                for (int row = blockStart; row < blockEnd; row++) {
                    matrix.dequantizeRow(row, decoded, (row - blockStart) * columns);
                }
                int tiledEnd = blockStart + (blockEnd - blockStart) / TokenPanels.ROWS * TokenPanels.ROWS;
                for (int token = 0; token < stride; token += TokenPanels.TILE_TOKENS) {
                    for (int row = blockStart; row < tiledEnd; row += TokenPanels.ROWS) {
                        TokenPanels.multiply4(decoded, (row - blockStart) * columns, columns, panel, batch, token,
                                output, rows, row, tileSums);
                    }
                }
                for (int row = tiledEnd; row < blockEnd; row++) {
                    for (int b = 0; b < batch; b++) {
                        output[b * rows + row] =
                                FloatDot.dot(decoded, (row - blockStart) * columns, input, b * columns, columns);
                    }
                }
            }
        }

        private static float[] scratchRows(int floats) {
            float[] rows = SCRATCH_ROWS.get();
            if (rows.length < floats) {
                rows = new float[floats];
                SCRATCH_ROWS.set(rows);
            }
            return rows;
        }
    }

    /** Attention for a range of KV heads of one layer. */
    private final class AttendTask implements ComputePool.RangeTask {
        private KvCache cache;
        private int layer;
        private KvCache.AttentionKind kind;
        private int rows;
        private int position;

        void set(KvCache cache, int layer, KvCache.AttentionKind kind, int rows, int position) {
            this.cache = cache;
            this.layer = layer;
            this.kind = kind;
            this.rows = rows;
            this.position = position;
        }

        @Override
        public void run(int start, int end) {
            for (int kvHead = start; kvHead < end; kvHead++) {
                cache.attend(layer, kvHead, kind, queries, 0, rows, position, attention, 0);
            }
        }
    }
}
