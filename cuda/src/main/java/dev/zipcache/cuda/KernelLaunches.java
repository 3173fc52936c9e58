package dev.zipcache.cuda;

import java.util.ArrayList;
import java.util.List;

/**
 * The launches of the kernels in {@code kernels.cu}: which entry, what grid and block, and the arguments in the
 * entry's parameter order. Pure functions, so the tests check every launch's shape and arguments against the PTX
 * without a GPU. The constants repeat the kernels' {@code #define}s.
 */
final class KernelLaunches {

    /** Batches below this many rows use the matrix-vector kernel; larger ones the tiled matrix-matrix kernel. */
    static final int GEMM_MIN_BATCH = 4;
    /** gemv: warps (output rows) per block of 256 threads. */
    static final int GEMV_ROWS_PER_BLOCK = 8;
    /** gemm: the output tile (rows and batch rows) of a 16 × 16 block. */
    static final int GEMM_TILE = 64;
    /** Element-wise kernels: threads per block. */
    static final int ELEMENTWISE_BLOCK = 256;
    /** attention_rows_f16: the largest head dimension (8 values per lane). */
    static final int MAX_HEAD_DIMENSION = 256;
    /** attention_prefill_f16: query rows per block and the largest head dimension of its shared-memory tiles. */
    static final int TILE_QUERIES = 16;
    static final int TILE_HEAD_DIMENSION = 128;

    private KernelLaunches() {
    }

    /** out[b, :] = table row tokens[b], for {@code count} tokens. */
    static Launch embed(DeviceMatrix table, DevicePointer tokens, int count, DevicePointer out) {
        return new Launch("embed_" + WeightPacking.kernelSuffix(table.type()), count, 1, 256, 1,
                List.of(address(table.data()), address(table.scales()), integer(table.columns()), address(tokens),
                        address(out)));
    }

    /** out[b, r] = Σ_c W[r, c] · in[b, c] for {@code batch} rows: gemv for decode, tiled gemm for prefill. */
    static Launch matmul(DeviceMatrix matrix, DevicePointer in, int batch, DevicePointer out) {
        String suffix = WeightPacking.kernelSuffix(matrix.type());
        if (batch < GEMM_MIN_BATCH) {
            return new Launch(gemvKernel(matrix, in), ceilDiv(matrix.rows(), GEMV_ROWS_PER_BLOCK), batch, 256, 1,
                    List.of(address(matrix.data()), address(matrix.scales()), integer(matrix.rows()),
                            integer(matrix.columns()), address(in), address(out)));
        }
        return new Launch("gemm_" + suffix, ceilDiv(matrix.rows(), GEMM_TILE), ceilDiv(batch, GEMM_TILE), 16, 16,
                List.of(address(matrix.data()), address(matrix.scales()), integer(matrix.rows()),
                        integer(matrix.columns()), address(in), integer(batch), address(out)));
    }

    /**
     * The matrix-vector kernel: a wide-load variant ({@code gemv_f16_x8}, {@code gemv_q8_0_x16},
     * {@code gemv_q4_0_x32}) where each row is whole 16-byte chunks of weights and the input is 16-byte aligned (its
     * rows too: a multiple of 4 floats long), else the element-wise {@code gemv_TYPE}.
     */
    static String gemvKernel(DeviceMatrix matrix, DevicePointer in) {
        boolean aligned = in.offset() % 16 == 0 && matrix.columns() % 4 == 0;
        String wide = switch (matrix.type()) {
            case F16 -> matrix.columns() % 8 == 0 ? "gemv_f16_x8" : null;
            case Q8_0 -> "gemv_q8_0_x16";
            case Q4_0 -> "gemv_q4_0_x32";
            default -> null;
        };
        return aligned && wide != null ? wide : "gemv_" + WeightPacking.kernelSuffix(matrix.type());
    }

    /** out[b, :] = RMSNorm(x[b, :]) ⊙ weight for {@code rows} rows of {@code size}. */
    static Launch rmsNorm(DevicePointer x, DevicePointer weight, int size, float epsilon, int rows,
                          DevicePointer out) {
        return new Launch("rms_norm", rows, 1, 256, 1,
                List.of(address(x), address(weight), integer(size), real(epsilon), address(out)));
    }

    /** Rotates {@code rows × heads} head vectors in place with the uploaded cos/sin table of {@code pairs} per row. */
    static Launch rope(DevicePointer vectors, int rows, int heads, int headDimension, int pairs, DevicePointer cosines,
                       DevicePointer sines, boolean halves) {
        return new Launch("rope", rows * heads, 1, 64, 1,
                List.of(address(vectors), integer(heads), integer(headDimension), integer(pairs), address(cosines),
                        address(sines), integer(halves ? 1 : 0)));
    }

    /** gate ← silu(gate) ⊙ up over {@code n} elements. */
    static Launch swiGlu(DevicePointer gate, DevicePointer up, int n) {
        return elementwise("swiglu", n, List.of(address(gate), address(up), integer(n)));
    }

    /** x ← x + delta over {@code n} elements. */
    static Launch add(DevicePointer x, DevicePointer delta, int n) {
        return elementwise("add_in_place", n, List.of(address(x), address(delta), integer(n)));
    }

    /** x ← x + bias per row of {@code width}, over {@code rows} rows. */
    static Launch addBias(DevicePointer x, DevicePointer bias, int width, int rows) {
        int n = width * rows;
        return elementwise("add_bias", n, List.of(address(x), address(bias), integer(width), integer(n)));
    }

    /**
     * Stores {@code count} tokens' keys and values at {@code position..} of one layer's fp16 cache, position
     * {@code p} in slot {@code p mod capacity} (the fp16 cache's capacity is its maximum, so it never wraps; KIVI's
     * window is a ring).
     */
    static Launch kvAppend(DevicePointer keys, DevicePointer values, int count, int kvHeads, int headDimension,
                           int capacity, int position, DevicePointer keyCache, DevicePointer valueCache) {
        return elementwise("kv_append_f16", count * kvHeads * headDimension,
                List.of(address(keys), address(values), integer(count), integer(kvHeads), integer(headDimension),
                        integer(capacity), integer(position), address(keyCache), address(valueCache)));
    }

    /**
     * Moves positions {@code firstPosition..} ({@code count} of them) of one layer's fp16 ring to a ring of another
     * capacity.
     */
    static Launch windowMove(DevicePointer keys, DevicePointer values, int capacity, DevicePointer newKeys,
                             DevicePointer newValues, int newCapacity, int kvHeads, int headDimension,
                             int firstPosition, int count) {
        return elementwise("kv_window_move_f16", count * kvHeads * headDimension,
                List.of(address(keys), address(values), integer(capacity), address(newKeys), address(newValues),
                        integer(newCapacity), integer(kvHeads), integer(headDimension), integer(firstPosition),
                        integer(count)));
    }

    /** KIVI: quantizes {@code blocks} blocks of key positions from {@code firstPosition} out of the fp16 ring. */
    static Launch kiviPackKeys(DevicePointer keyWindow, int capacity, KiviLayout layout, int firstPosition,
                               int blocks, PackedRows keys) {
        return new Launch("kivi_pack_keys", blocks, 1, 256, 1,
                List.of(address(keyWindow), integer(capacity), integer(layout.kvHeads()),
                        integer(layout.headDimension()), integer(firstPosition), integer(layout.tokenGroup()),
                        integer(layout.bits()), integer(layout.rowBytes()), address(keys.codes()),
                        address(keys.minimums()), address(keys.steps())));
    }

    /** KIVI: quantizes {@code count} value positions from {@code firstPosition} out of the fp16 ring. */
    static Launch kiviPackValues(DevicePointer valueWindow, int capacity, KiviLayout layout, int firstPosition,
                                 int count, PackedRows values) {
        return new Launch("kivi_pack_values", count, 1, 128, 1,
                List.of(address(valueWindow), integer(capacity), integer(layout.kvHeads()),
                        integer(layout.headDimension()), integer(firstPosition), integer(layout.valueRun()),
                        integer(layout.bits()), integer(layout.rowBytes()), address(values.codes()),
                        address(values.minimums()), address(values.steps())));
    }

    /**
     * Causal attention of {@code rows} rows at {@code firstPosition..} over KIVI's packed store (positions below
     * {@code quantizedKeys} / {@code quantizedValues}) and its fp16 ring (the rest), one block per (head, row).
     */
    static Launch attentionKivi(DevicePointer queries, DevicePointer keyWindow, DevicePointer valueWindow,
                                int capacity, PackedRows keys, PackedRows values, KiviLayout layout, int queryHeads,
                                int quantizedKeys, int quantizedValues, int firstPosition, int rows, float scale,
                                DevicePointer out) {
        List<KernelArgument> arguments = new ArrayList<>(kiviArguments(queries, keyWindow, valueWindow,
                capacity, keys, values, layout, queryHeads, quantizedKeys, quantizedValues, firstPosition));
        arguments.add(real(scale));
        arguments.add(address(out));
        return new Launch("attention_rows_kivi", queryHeads, rows, 128, 1, arguments);
    }

    /** {@link #attentionKivi} split over positions, as {@link #attentionSplit}; merged by {@link #attentionMerge}. */
    static Launch attentionSplitKivi(DevicePointer queries, DevicePointer keyWindow, DevicePointer valueWindow,
                                     int capacity, PackedRows keys, PackedRows values, KiviLayout layout,
                                     int queryHeads, int quantizedKeys, int quantizedValues, int firstPosition,
                                     int rows, int tokensPerSplit, float scale, DevicePointer partials) {
        List<KernelArgument> arguments = new ArrayList<>(kiviArguments(queries, keyWindow, valueWindow,
                capacity, keys, values, layout, queryHeads, quantizedKeys, quantizedValues, firstPosition));
        arguments.add(integer(tokensPerSplit));
        arguments.add(real(scale));
        arguments.add(address(partials));
        return new Launch("attention_split_kivi", queryHeads, rows, splits(firstPosition + rows, tokensPerSplit), 128,
                1, arguments);
    }

    private static List<KernelArgument> kiviArguments(DevicePointer queries, DevicePointer keyWindow,
                                                      DevicePointer valueWindow, int capacity, PackedRows keys,
                                                      PackedRows values, KiviLayout layout, int queryHeads,
                                                      int quantizedKeys, int quantizedValues, int firstPosition) {
        if (layout.headDimension() > MAX_HEAD_DIMENSION) {
            throw new IllegalArgumentException("head dimension " + layout.headDimension() + " is over the CUDA "
                    + "attention kernels' " + MAX_HEAD_DIMENSION);
        }
        return List.of(address(queries), address(keyWindow), address(valueWindow), integer(capacity),
                address(keys.codes()), address(keys.minimums()), address(keys.steps()), address(values.codes()),
                address(values.minimums()), address(values.steps()), integer(queryHeads),
                integer(layout.kvHeads()), integer(layout.headDimension()), integer(layout.bits()),
                integer(layout.rowBytes()), integer(layout.tokenGroup()), integer(layout.valueRun()),
                integer(quantizedKeys), integer(quantizedValues), integer(firstPosition));
    }

    /**
     * ZipCache: causal attention of {@code rows} rows at {@code firstPosition..} over the packed codes of both
     * precision groups and the fp16 window, one block per (head, row).
     */
    static Launch attentionZip(DevicePointer queries, ZipStore store, ZipLayout layout, int queryHeads,
                               int firstPosition, int rows, float scale, DevicePointer out) {
        List<KernelArgument> arguments = new ArrayList<>();
        arguments.add(address(queries));
        arguments.addAll(zipStoreArguments(store, layout, queryHeads));
        arguments.add(integer(firstPosition));
        arguments.add(real(scale));
        arguments.add(address(out));
        return new Launch("attention_rows_zip", queryHeads, rows, 128, 1, arguments);
    }

    /** {@link #attentionZip} split over positions, as {@link #attentionSplit}; merged by {@link #attentionMerge}. */
    static Launch attentionSplitZip(DevicePointer queries, ZipStore store, ZipLayout layout, int queryHeads,
                                    int firstPosition, int rows, int tokensPerSplit, float scale,
                                    DevicePointer partials) {
        List<KernelArgument> arguments = new ArrayList<>();
        arguments.add(address(queries));
        arguments.addAll(zipStoreArguments(store, layout, queryHeads));
        arguments.add(integer(firstPosition));
        arguments.add(integer(tokensPerSplit));
        arguments.add(real(scale));
        arguments.add(address(partials));
        return new Launch("attention_split_zip", queryHeads, rows, splits(firstPosition + rows, tokensPerSplit), 128,
                1, arguments);
    }

    /** ZipCache: copies the probe rows' queries that lie in this batch of {@code rows} rows at {@code firstPosition}. */
    static Launch keepProbeQueries(DevicePointer queries, int rows, int firstPosition, int queryWidth,
                                   DevicePointer probeRows, int probes, DevicePointer probeQueries) {
        return elementwise("zip_keep_probe_queries", probes * queryWidth, List.of(address(queries), integer(rows),
                integer(firstPosition), integer(queryWidth), address(probeRows), integer(probes),
                address(probeQueries)));
    }

    /** ZipCache: each probe row's softmax maximum and sum per query head over the view indices it sees. */
    static Launch probeSoftmax(DevicePointer probeQueries, DevicePointer probeRows, int probes, ZipStore store,
                               ZipLayout layout, int queryHeads, float scale, DevicePointer stats) {
        List<KernelArgument> arguments = new ArrayList<>(List.of(address(probeQueries), address(probeRows)));
        arguments.addAll(zipStoreArguments(store, layout, queryHeads));
        arguments.add(real(scale));
        arguments.add(address(stats));
        return new Launch("zip_probe_softmax", queryHeads, probes, 128, 1, arguments);
    }

    /**
     * ZipCache: the saliency scores of positions {@code firstToken..length − 1} per KV head from the probe rows'
     * probabilities ({@link #probeSoftmax}'s statistics), into {@code scores[kvHead × (length − firstToken) + i]}.
     */
    static Launch probeScores(DevicePointer probeQueries, DevicePointer probeRows, int probes, DevicePointer stats,
                              ZipStore store, ZipLayout layout, int queryHeads, int firstToken, int length,
                              ZipLayout.Scoring scoring, float scale, DevicePointer scores) {
        if (scoring == ZipLayout.Scoring.POSITION) {
            throw new IllegalArgumentException("the recent policy observes no rows");
        }
        List<KernelArgument> arguments = new ArrayList<>(List.of(address(probeQueries), address(probeRows),
                integer(probes), address(stats)));
        arguments.addAll(zipStoreArguments(store, layout, queryHeads));
        arguments.add(integer(firstToken));
        arguments.add(integer(length));
        arguments.add(integer(scoring.code));
        arguments.add(real(scale));
        arguments.add(address(scores));
        return new Launch("zip_probe_scores", layout.kvHeads(), ceilDiv(length - firstToken, 128), 128, 1,
                arguments);
    }

    /**
     * ZipCache compression, step 1: the fp32 staging rows of keys ({@code values} false) or values for both groups,
     * the old rows dequantized and the chosen window tokens ({@code indices}) appended to each group.
     */
    static Launch zipGather(DevicePointer window, int capacity, ZipLayout layout, int firstBufferPosition,
                            PackedRows salient, PackedRows regular, DevicePointer channelScales, int oldSalient,
                            int newSalient, int oldRegular, int newRegular, boolean values, DevicePointer indices,
                            DevicePointer staging) {
        return new Launch("zip_gather", oldSalient + newSalient + oldRegular + newRegular, 1, 128, 1,
                List.of(address(window), integer(capacity), integer(layout.kvHeads()), integer(layout.headDimension()),
                        integer(firstBufferPosition), address(salient.codes()), address(salient.minimums()),
                        address(salient.steps()), address(regular.codes()), address(regular.minimums()),
                        address(regular.steps()), address(channelScales), integer(layout.highBits()),
                        integer(layout.lowBits()), integer(oldSalient), integer(newSalient), integer(oldRegular),
                        integer(newRegular), integer(values ? 1 : 0), address(indices), address(staging)));
    }

    /** Keys, step 2: a group's fp16 (min, step) per channel over its {@code count} staging rows. */
    static Launch zipFitChannels(DevicePointer rows, int width, int count, int bits, PackedRows group) {
        return new Launch("zip_fit_channels", ceilDiv(width, 128), 1, 128, 1, List.of(address(rows), integer(width),
                integer(count), integer(bits), address(group.minimums()), address(group.steps())));
    }

    /** Values, step 2: CST's channel scales over both groups' {@code count} staging rows. */
    static Launch zipChannelScales(DevicePointer rows, int width, int count, DevicePointer channelScales) {
        return new Launch("zip_channel_scales", ceilDiv(width, 128), 1, 128, 1,
                List.of(address(rows), integer(width), integer(count), address(channelScales)));
    }

    /** Values, step 3: a group's fp16 (min, step) per row of its {@code count} staging rows, channels scaled. */
    static Launch zipFitRows(DevicePointer rows, int width, int count, int bits, DevicePointer channelScales,
                             PackedRows group) {
        return new Launch("zip_fit_rows", count, 1, 128, 1, List.of(address(rows), integer(width), integer(bits),
                address(channelScales), address(group.minimums()), address(group.steps())));
    }

    /**
     * Step 4: packs a group's {@code count} staging rows into its codes, with per-channel parameters (keys) or
     * per-row ones after the channel scales (values).
     */
    static Launch zipPackRows(DevicePointer rows, int width, int count, int bits, boolean perRow,
                              DevicePointer channelScales, PackedRows group) {
        return new Launch("zip_pack_rows", count, 1, 128, 1, List.of(address(rows), integer(width), integer(bits),
                integer(perRow ? 1 : 0), address(channelScales), address(group.minimums()), address(group.steps()),
                address(group.codes())));
    }

    /** The {@code ZIP_STORE_PARAMETERS} of {@code kernels.cu}. */
    private static List<KernelArgument> zipStoreArguments(ZipStore store, ZipLayout layout, int queryHeads) {
        if (layout.headDimension() > MAX_HEAD_DIMENSION) {
            throw new IllegalArgumentException("head dimension " + layout.headDimension() + " is over the CUDA "
                    + "attention kernels' " + MAX_HEAD_DIMENSION);
        }
        List<KernelArgument> arguments = new ArrayList<>(List.of(address(store.keyWindow()),
                address(store.valueWindow()), integer(store.capacity())));
        for (PackedRows group : List.of(store.salientKeys(), store.regularKeys(), store.salientValues(),
                store.regularValues())) {
            arguments.add(address(group.codes()));
            arguments.add(address(group.minimums()));
            arguments.add(address(group.steps()));
        }
        arguments.addAll(List.of(address(store.channelScales()), integer(queryHeads), integer(layout.kvHeads()),
                integer(layout.headDimension()), integer(layout.highBits()), integer(layout.lowBits()),
                integer(store.salientRows()), integer(store.storedTokens())));
        return arguments;
    }

    /** Whether {@link #attention} takes the tiled prefill kernel for this many rows and this head dimension. */
    static boolean tiledAttention(int rows, int headDimension) {
        return rows > 1 && headDimension <= TILE_HEAD_DIMENSION;
    }

    /**
     * Causal attention of {@code rows} query rows at {@code firstPosition..} over one layer's fp16 cache: the tiled
     * kernel for a prompt batch, one block per (head, row) otherwise.
     */
    static Launch attention(DevicePointer queries, DevicePointer keyCache, DevicePointer valueCache, int queryHeads,
                            int kvHeads, int headDimension, int maxTokens, int firstPosition, int rows, float scale,
                            DevicePointer out) {
        if (headDimension > MAX_HEAD_DIMENSION) {
            throw new IllegalArgumentException("head dimension " + headDimension + " is over the CUDA attention "
                    + "kernels' " + MAX_HEAD_DIMENSION);
        }
        if (tiledAttention(rows, headDimension)) {
            return new Launch("attention_prefill_f16", queryHeads, ceilDiv(rows, TILE_QUERIES), 128, 1,
                    List.of(address(queries), address(keyCache), address(valueCache), integer(queryHeads),
                            integer(kvHeads), integer(headDimension), integer(maxTokens), integer(firstPosition),
                            integer(rows), real(scale), address(out)));
        }
        return new Launch("attention_rows_f16", queryHeads, rows, 128, 1,
                List.of(address(queries), address(keyCache), address(valueCache), integer(queryHeads),
                        integer(kvHeads), integer(headDimension), integer(maxTokens), integer(firstPosition),
                        real(scale), address(out)));
    }

    /**
     * Whether the attention of {@code rows} rows whose context reaches {@code contextTokens} positions is split over
     * the positions ({@link #attentionSplit}): a decode step over a long context, where one block per query head
     * would leave most of the GPU idle.
     */
    static boolean splitAttention(int rows, int contextTokens, int tokensPerSplit) {
        return rows < SPLIT_MAX_ROWS + 1 && contextTokens > 2 * tokensPerSplit;
    }

    /** The most rows {@link #attentionSplit} takes (a decode step's). */
    static final int SPLIT_MAX_ROWS = GEMM_MIN_BATCH - 1;

    /** Splits of {@code tokensPerSplit} positions that cover {@code contextTokens}. */
    static int splits(int contextTokens, int tokensPerSplit) {
        return ceilDiv(contextTokens, tokensPerSplit);
    }

    /**
     * Split-K attention, first launch: each split of positions writes its partial softmax state into {@code partials}
     * ({@code rows × queryHeads × splits × (headDimension + 2)} floats).
     */
    static Launch attentionSplit(DevicePointer queries, DevicePointer keyCache, DevicePointer valueCache,
                                 int queryHeads, int kvHeads, int headDimension, int maxTokens, int firstPosition,
                                 int rows, int tokensPerSplit, float scale, DevicePointer partials) {
        int splits = splits(firstPosition + rows, tokensPerSplit);
        return new Launch("attention_split_f16", queryHeads, rows, splits, 128, 1,
                List.of(address(queries), address(keyCache), address(valueCache), integer(queryHeads),
                        integer(kvHeads), integer(headDimension), integer(maxTokens), integer(firstPosition),
                        integer(tokensPerSplit), real(scale), address(partials)));
    }

    /** Split-K attention, second launch: merges the splits' states into the output rows. */
    static Launch attentionMerge(DevicePointer partials, int queryHeads, int headDimension, int splits, int rows,
                                 DevicePointer out) {
        return new Launch("attention_merge_f16", queryHeads, rows, 128, 1,
                List.of(address(partials), integer(queryHeads), integer(headDimension), integer(splits),
                        address(out)));
    }

    private static Launch elementwise(String kernel, int n, List<KernelArgument> arguments) {
        return new Launch(kernel, ceilDiv(n, ELEMENTWISE_BLOCK), 1, ELEMENTWISE_BLOCK, 1, arguments);
    }

    static int ceilDiv(int a, int b) {
        return Math.max(1, (a + b - 1) / b);
    }

    private static KernelArgument address(DevicePointer pointer) {
        return new KernelArgument.Address(pointer);
    }

    private static KernelArgument integer(int value) {
        return new KernelArgument.Int(value);
    }

    private static KernelArgument real(float value) {
        return new KernelArgument.Float(value);
    }
}
