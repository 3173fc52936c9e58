package dev.zipcache.cuda;

import dev.zipcache.engine.compute.ComputePool;
import dev.zipcache.engine.compute.ForwardPass;
import dev.zipcache.engine.compute.RopeTable;
import dev.zipcache.engine.model.ModelConfig;
import dev.zipcache.engine.model.RopeStyle;
import dev.zipcache.spi.KvCache;
import dev.zipcache.spi.KvCacheGeometry;
import dev.zipcache.spi.Providers;
import dev.zipcache.spi.Spec;

import java.util.ArrayList;
import java.util.List;

/**
 * The forward pass on a GPU, step for step the CPU backend's (ARCHITECTURE.md "Data flow"): per layer RMSNorm → Q, K,
 * V → RoPE → fp16 cache append → causal attention → output projection → residual → RMSNorm → SwiGLU feed-forward →
 * residual; then the final norm and the classifier for the rows whose logits are wanted, which alone are copied back.
 * Activations stay on the device between kernels; per batch the host uploads only the token ids and the RoPE table.
 * Prompts run in batches of up to {@code maxBatch} tokens through the tiled kernels; one token through the
 * matrix-vector ones, with its attention split over blocks of positions once the context is long. The {@code fp16},
 * {@code kivi} and {@code zipcache} caches live on the device; with any other cache, attention runs on the CPU over
 * that host cache ({@link #createCache}).
 */
final class CudaForwardPass implements ForwardPass {

    /** Prompt tokens per batch when the session asks for fewer: a GPU wants large batches. */
    static final int MIN_MAX_BATCH = 512;
    /** Positions per block of the split decode attention (used from a context of twice this). */
    static final int DEFAULT_TOKENS_PER_SPLIT = 256;

    private final Device device;
    private final DeviceWeights weights;
    private final Runnable release;
    private final ModelConfig config;
    private final int maxBatch;
    private final RopeTable rope;
    private final boolean ropeHalves;
    private final float attentionScale;
    private final int tokensPerSplit;
    private final int hostThreads;
    private HostBuffers host;
    private final List<DevicePointer> buffers = new ArrayList<>();

    private final DevicePointer tokenIds;
    private final DevicePointer cosines;
    private final DevicePointer sines;
    private final DevicePointer residual;
    private final DevicePointer normalized;
    private final DevicePointer queries;
    private final DevicePointer keys;
    private final DevicePointer values;
    private final DevicePointer attention;
    private final DevicePointer projected;
    private final DevicePointer gate;
    private final DevicePointer up;
    private final DevicePointer logits;
    private final DevicePointer attentionPartials;
    private final float[] lastLogits;
    private final int[] batchTokens;
    private boolean closed;

    /**
     * @param release      runs on {@link #close()}, after this pass freed its buffers (the backend's reference count
     *                     of the shared weights)
     * @param ropeDivisors per-frequency RoPE divisors (Llama 3.1's {@code rope_freqs}), or null
     */
    CudaForwardPass(Device device, DeviceWeights weights, Runnable release, ModelConfig config, float[] ropeDivisors,
                    int maxBatch) {
        this(device, weights, release, config, ropeDivisors, maxBatch, DEFAULT_TOKENS_PER_SPLIT,
                Runtime.getRuntime().availableProcessors());
    }

    /**
     * @param tokensPerSplit positions per block of the split decode attention (tests make it small)
     * @param hostThreads    CPU threads of a host cache's attention
     */
    CudaForwardPass(Device device, DeviceWeights weights, Runnable release, ModelConfig config, float[] ropeDivisors,
                    int maxBatch, int tokensPerSplit, int hostThreads) {
        if (config.headDimension() > KernelLaunches.MAX_HEAD_DIMENSION) {
            throw new IllegalArgumentException("head dimension " + config.headDimension() + " is over the CUDA "
                    + "attention kernels' " + KernelLaunches.MAX_HEAD_DIMENSION + "; use --device cpu");
        }
        this.device = device;
        this.weights = weights;
        this.release = release;
        this.config = config;
        this.maxBatch = maxBatch;
        this.rope = new RopeTable(config, ropeDivisors, maxBatch);
        this.ropeHalves = config.architecture().ropeStyle() == RopeStyle.HALVES;
        this.attentionScale = (float) (1.0 / Math.sqrt(config.headDimension()));
        this.tokensPerSplit = tokensPerSplit;
        this.hostThreads = hostThreads;
        int width = config.embeddingLength();
        try {
            tokenIds = floats(maxBatch);
            cosines = floats((long) maxBatch * rope.pairs());
            sines = floats((long) maxBatch * rope.pairs());
            residual = floats((long) maxBatch * width);
            normalized = floats((long) maxBatch * Math.max(width, config.queryWidth()));
            queries = floats((long) maxBatch * config.queryWidth());
            keys = floats((long) maxBatch * config.kvWidth());
            values = floats((long) maxBatch * config.kvWidth());
            attention = floats((long) maxBatch * config.queryWidth());
            projected = floats((long) maxBatch * width);
            gate = floats((long) maxBatch * config.feedForwardLength());
            up = floats((long) maxBatch * config.feedForwardLength());
            logits = floats((long) maxBatch * config.vocabularySize());
            attentionPartials = floats((long) KernelLaunches.SPLIT_MAX_ROWS * config.heads()
                    * KernelLaunches.splits(config.contextLength(), tokensPerSplit) * (config.headDimension() + 2));
        } catch (RuntimeException failure) {
            close();
            throw failure;
        }
        this.lastLogits = new float[config.vocabularySize()];
        this.batchTokens = new int[maxBatch];
    }

    /** Prompt tokens per batch. */
    int maxBatch() {
        return maxBatch;
    }

    /**
     * {@code fp16}, {@code kivi} (2, 4 or 8 bits, the default after-attention timing) and {@code zipcache} (2, 4 or
     * 8 bits, channelwise keys, CST values, a built-in saliency policy: {@link ZipLayout#of}) are device caches. Every
     * other spec (fp32, mikv, 3-bit kivi or zipcache, before-attention kivi, zipcache with other key or value modes
     * or a plug-in policy, ...) is the CPU's cache of that name, held in host memory: for those the pass copies each layer's queries, keys and values to the host and the attention output
     * back, and the cache attends on the CPU (the host-cache path).
     */
    @Override
    public KvCache createCache(String spec, KvCacheGeometry geometry) {
        Spec parsed = Spec.parse(spec);
        if (parsed.name().equals(CudaKvCache.SPEC) && parsed.options().isEmpty()) {
            return new CudaKvCache(device, geometry);
        }
        // The CPU provider validates the spec (the same errors on both backends) and is the fallback.
        KvCache host = Providers.createCache(spec, geometry);
        if (parsed.name().equals(KiviLayout.SPEC)) {
            var layout = KiviLayout.of(Providers.kvCaches().resolve(parsed), geometry);
            if (layout.isPresent()) {
                host.close();
                return new CudaKiviCache(device, geometry, layout.get());
            }
        }
        if (parsed.name().equals(ZipLayout.SPEC)) {
            var layout = ZipLayout.of(Providers.kvCaches().resolve(parsed), geometry);
            if (layout.isPresent()) {
                host.close();
                return new CudaZipCache(device, geometry, layout.get());
            }
        }
        return host;
    }

    @Override
    public float[] forward(int[] tokens, int offset, int count, KvCache cache, KvCache.AttentionKind kind,
                           boolean allLogits) {
        if (count <= 0) {
            throw new IllegalArgumentException("nothing to run: " + count + " tokens"); // before any reservation
        }
        CudaKvCache deviceCache = null;
        if (cache instanceof CudaKvCache onDevice) {
            if (onDevice.device() != device) {
                throw new IllegalArgumentException("this KV cache lives on another CUDA device");
            }
            onDevice.checkRoom(count);
            deviceCache = onDevice;
        } else if (cache instanceof CudaKiviCache kivi) {
            if (kivi.device() != device) {
                throw new IllegalArgumentException("this KV cache lives on another CUDA device");
            }
            kivi.reserve(count);
        } else if (cache instanceof CudaZipCache zip) {
            if (zip.device() != device) {
                throw new IllegalArgumentException("this KV cache lives on another CUDA device");
            }
            zip.reserve(count, kind);
        }
        CudaKvCache onDevice = deviceCache;
        return ForwardPass.inBatches(offset, count, maxBatch, config, cache, kind, allLogits, lastLogits,
                (first, rows, logits, firstLogitRow) -> runBatch(tokens, first, rows, cache, onDevice, kind, logits,
                        firstLogitRow));
    }

    /** @param deviceCache {@code cache} when it is the device cache, null for a host cache */
    private void runBatch(int[] tokens, int offset, int rows, KvCache cache, CudaKvCache deviceCache,
                          KvCache.AttentionKind kind, float[] result, int firstLogitRow) {
        int width = config.embeddingLength();
        int position = cache.length();
        for (int row = 0; row < rows; row++) {
            int token = tokens[offset + row];
            if (token < 0 || token >= config.vocabularySize()) {
                throw new IllegalArgumentException("token id " + token + " is outside the vocabulary of "
                        + config.vocabularySize());
            }
            batchTokens[row] = token;
        }
        device.upload(tokenIds, batchTokens, rows);
        device.launch(KernelLaunches.embed(weights.tokenEmbedding(), tokenIds, rows, residual));
        RopeTable table = rope;
        table.prepare(position, rows);
        device.upload(cosines, table.cosines(), rows * table.pairs());
        device.upload(sines, table.sines(), rows * table.pairs());
        for (int layer = 0; layer < config.layers(); layer++) {
            DeviceWeights.Layer weightsOfLayer = weights.layers().get(layer);
            attentionBlock(layer, weightsOfLayer, rows, position, cache, deviceCache, kind);
            feedForwardBlock(weightsOfLayer, rows);
        }
        cache.commit(rows, kind);
        if (result != null) {
            classify(rows, result, firstLogitRow, width);
        }
    }

    private void attentionBlock(int layer, DeviceWeights.Layer layerWeights, int rows, int position, KvCache cache,
                                CudaKvCache deviceCache, KvCache.AttentionKind kind) {
        int width = config.embeddingLength();
        device.launch(KernelLaunches.rmsNorm(residual, layerWeights.attentionNorm(), width, config.rmsEpsilon(), rows,
                normalized));
        device.launch(KernelLaunches.matmul(layerWeights.query(), normalized, rows, queries));
        device.launch(KernelLaunches.matmul(layerWeights.key(), normalized, rows, keys));
        device.launch(KernelLaunches.matmul(layerWeights.value(), normalized, rows, values));
        if (layerWeights.queryBias() != null) {
            device.launch(KernelLaunches.addBias(queries, layerWeights.queryBias(), config.queryWidth(), rows));
            device.launch(KernelLaunches.addBias(keys, layerWeights.keyBias(), config.kvWidth(), rows));
            device.launch(KernelLaunches.addBias(values, layerWeights.valueBias(), config.kvWidth(), rows));
        }
        int pairs = rope.pairs();
        device.launch(KernelLaunches.rope(queries, rows, config.heads(), config.headDimension(), pairs, cosines, sines,
                ropeHalves));
        device.launch(KernelLaunches.rope(keys, rows, config.kvHeads(), config.headDimension(), pairs, cosines, sines,
                ropeHalves));
        if (deviceCache != null) {
            device.launch(KernelLaunches.kvAppend(keys, values, rows, config.kvHeads(), config.headDimension(),
                    deviceCache.geometry().maxTokens(), position, deviceCache.keys(layer), deviceCache.values(layer)));
            fp16Attention(rows, position, deviceCache.keys(layer), deviceCache.values(layer),
                    deviceCache.geometry().maxTokens());
        } else if (cache instanceof CudaKiviCache kivi) {
            kiviAttention(layer, rows, position, kivi);
        } else if (cache instanceof CudaZipCache zip) {
            zipAttention(layer, rows, position, zip, kind);
        } else {
            hostAttention(layer, rows, position, cache, kind);
        }
        device.launch(KernelLaunches.matmul(layerWeights.output(), attention, rows, projected));
        device.launch(KernelLaunches.add(residual, projected, rows * width));
    }

    /**
     * Attention over fp16 keys and values that hold every position {@code p} at slot {@code p} (the fp16 cache, or a
     * KIVI window before anything is quantized), all on the GPU.
     */
    private void fp16Attention(int rows, int position, DevicePointer keyCache, DevicePointer valueCache,
                               int capacity) {
        if (KernelLaunches.splitAttention(rows, position + rows, tokensPerSplit)) {
            // A decode step over a long context: the positions are split over blocks, then merged.
            device.launch(KernelLaunches.attentionSplit(queries, keyCache, valueCache, config.heads(),
                    config.kvHeads(), config.headDimension(), capacity, position, rows, tokensPerSplit,
                    attentionScale, attentionPartials));
            device.launch(KernelLaunches.attentionMerge(attentionPartials, config.heads(), config.headDimension(),
                    KernelLaunches.splits(position + rows, tokensPerSplit), rows, attention));
        } else {
            device.launch(KernelLaunches.attention(queries, keyCache, valueCache, config.heads(), config.kvHeads(),
                    config.headDimension(), capacity, position, rows, attentionScale, attention));
        }
    }

    /**
     * Appends to KIVI's fp16 window and attends over the packed store and the window, all on the GPU. A prompt on
     * an empty cache is all in the window, which the fp16 kernels (tiled for prefill) then read as they read the fp16
     * cache; otherwise the packed-store kernel dequantizes codes in registers.
     */
    private void kiviAttention(int layer, int rows, int position, CudaKiviCache cache) {
        DeviceWindow window = cache.window();
        DevicePointer keyWindow = window.keys(layer);
        DevicePointer valueWindow = window.values(layer);
        device.launch(KernelLaunches.kvAppend(keys, values, rows, config.kvHeads(), config.headDimension(),
                window.capacity(), position, keyWindow, valueWindow));
        if (cache.holdsOnlyFullPrecision()) {
            fp16Attention(rows, position, keyWindow, valueWindow, window.capacity());
        } else if (KernelLaunches.splitAttention(rows, position + rows, tokensPerSplit)) {
            device.launch(KernelLaunches.attentionSplitKivi(queries, keyWindow, valueWindow, window.capacity(),
                    cache.keys(layer), cache.values(layer), cache.layout(), config.heads(), cache.quantizedKeys(),
                    cache.quantizedValues(), position, rows, tokensPerSplit, attentionScale, attentionPartials));
            device.launch(KernelLaunches.attentionMerge(attentionPartials, config.heads(), config.headDimension(),
                    KernelLaunches.splits(position + rows, tokensPerSplit), rows, attention));
        } else {
            device.launch(KernelLaunches.attentionKivi(queries, keyWindow, valueWindow, window.capacity(),
                    cache.keys(layer), cache.values(layer), cache.layout(), config.heads(), cache.quantizedKeys(),
                    cache.quantizedValues(), position, rows, attentionScale, attention));
        }
    }

    /**
     * Appends to ZipCache's fp16 window and attends over both precision groups and the window, all on the GPU. A
     * prompt keeps its probe rows' queries for the saliency scores at its end; a prompt on an empty store is all in
     * the window and takes the fp16 kernels (tiled for prefill). The streaming cadence's scoring decode step also
     * observes its own probabilities over the window.
     */
    private void zipAttention(int layer, int rows, int position, CudaZipCache cache, KvCache.AttentionKind kind) {
        DeviceWindow window = cache.window();
        DevicePointer keyWindow = window.keys(layer);
        DevicePointer valueWindow = window.values(layer);
        device.launch(KernelLaunches.kvAppend(keys, values, rows, config.kvHeads(), config.headDimension(),
                window.capacity(), position, keyWindow, valueWindow));
        if (kind == KvCache.AttentionKind.PREFILL) {
            cache.keepProbeQueries(layer, queries, rows, position);
        }
        if (cache.holdsOnlyFullPrecision()) {
            fp16Attention(rows, position, keyWindow, valueWindow, window.capacity());
        } else if (KernelLaunches.splitAttention(rows, position + rows, tokensPerSplit)) {
            device.launch(KernelLaunches.attentionSplitZip(queries, cache.store(layer), cache.layout(),
                    config.heads(), position, rows, tokensPerSplit, attentionScale, attentionPartials));
            device.launch(KernelLaunches.attentionMerge(attentionPartials, config.heads(), config.headDimension(),
                    KernelLaunches.splits(position + rows, tokensPerSplit), rows, attention));
        } else {
            device.launch(KernelLaunches.attentionZip(queries, cache.store(layer), cache.layout(), config.heads(),
                    position, rows, attentionScale, attention));
        }
        if (cache.scoringStep(rows, position, kind)) {
            cache.scoreDecodeStep(layer, queries, position);
        }
    }

    /**
     * The host-cache path: post-RoPE queries, keys and values go to the host, the CPU cache appends and attends
     * exactly as with the CPU backend (KV heads in parallel), and the attention output comes back.
     */
    private void hostAttention(int layer, int rows, int position, KvCache cache, KvCache.AttentionKind kind) {
        HostBuffers host = hostBuffers();
        device.download(queries, host.queries, 0, rows * config.queryWidth());
        device.download(keys, host.keys, 0, rows * config.kvWidth());
        device.download(values, host.values, 0, rows * config.kvWidth());
        cache.append(layer, host.keys, 0, host.values, 0, rows);
        host.pool.parallelFor(config.kvHeads(), 1, (start, end) -> {
            for (int kvHead = start; kvHead < end; kvHead++) {
                cache.attend(layer, kvHead, kind, host.queries, 0, rows, position, host.attention, 0);
            }
        });
        device.upload(attention, host.attention, rows * config.queryWidth());
    }

    /** Host arrays and threads of the host-cache path, made on its first use. */
    private record HostBuffers(float[] queries, float[] keys, float[] values, float[] attention, ComputePool pool) {
    }

    private HostBuffers hostBuffers() {
        if (host == null) {
            host = new HostBuffers(new float[maxBatch * config.queryWidth()], new float[maxBatch * config.kvWidth()],
                    new float[maxBatch * config.kvWidth()], new float[maxBatch * config.queryWidth()],
                    new ComputePool(hostThreads));
        }
        return host;
    }

    private void feedForwardBlock(DeviceWeights.Layer layerWeights, int rows) {
        int width = config.embeddingLength();
        int hidden = config.feedForwardLength();
        device.launch(KernelLaunches.rmsNorm(residual, layerWeights.feedForwardNorm(), width, config.rmsEpsilon(),
                rows, normalized));
        device.launch(KernelLaunches.matmul(layerWeights.gate(), normalized, rows, gate));
        device.launch(KernelLaunches.matmul(layerWeights.up(), normalized, rows, up));
        device.launch(KernelLaunches.swiGlu(gate, up, rows * hidden));
        device.launch(KernelLaunches.matmul(layerWeights.down(), gate, rows, projected));
        device.launch(KernelLaunches.add(residual, projected, rows * width));
    }

    /** Final norm and classifier for the last row (or every row when {@code firstLogitRow ≥ 0}); copies them back. */
    private void classify(int rows, float[] result, int firstLogitRow, int width) {
        int vocabulary = config.vocabularySize();
        int from = firstLogitRow < 0 ? rows - 1 : 0;
        int outRows = rows - from;
        device.launch(KernelLaunches.rmsNorm(residual.plusFloats((long) from * width), weights.outputNorm(), width,
                config.rmsEpsilon(), outRows, normalized));
        device.launch(KernelLaunches.matmul(weights.classifier(), normalized, outRows, logits));
        int target = firstLogitRow < 0 ? 0 : firstLogitRow * vocabulary;
        device.download(logits, result, target, outRows * vocabulary);
    }

    private DevicePointer floats(long count) {
        DevicePointer pointer = device.allocate(count * Float.BYTES);
        buffers.add(pointer);
        return pointer;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (DevicePointer buffer : buffers) {
            device.free(buffer);
        }
        buffers.clear();
        if (host != null) {
            host.pool.close();
        }
        release.run();
    }
}
