package dev.zipcache.quantize;

import dev.zipcache.spi.QuantizedBlock;

import java.util.Objects;

/**
 * A block of {@code rows × width} values quantized by one of this package's schemes: packed codes (layout in
 * {@link dev.zipcache.quantize the package description}), fp16 {@code (min, step)} pairs either per column
 * (channelwise) or per row and run of {@code group} consecutive columns (tokenwise: one run of the whole width;
 * groupwise; CST), and optionally fp16 channel scales {@code s_c} that multiply every dequantized value of column
 * {@code c} (CST, ZIPCACHE.md §4).
 *
 * <p>{@link #dot}, {@link #addWeighted} and {@link #dequantize} read codes and parameters directly with SIMD kernels
 * (3-bit blocks use the scalar path); {@link #dotScalar}, {@link #addWeightedScalar} and {@link #dequantizeScalar} are
 * their plain scalar twins. Immutable, so safe to read from several threads. No kernel allocates (a block's first
 * whole-row dequantization, a re-compression's, builds its list of whole loads once).
 */
public final class MinMaxQuantizedBlock implements QuantizedBlock {

    private static final int HALF_BYTES = Short.BYTES;

    private final int rows;
    private final int width;
    private final int bits;
    private final int mask;
    /**
     * Columns per segment. Codes are packed segment by segment, and each segment's rows are stored together
     * ({@link dev.zipcache.quantize the package description}): a reader of one KV head's channels streams one
     * contiguous region instead of a strided part of every row.
     */
    private final int segment;
    /** Bytes of one row's segment, which is also the width of a plane for the planar layouts (2, 4, 8 bits). */
    private final int segmentBytes;
    /** Bytes of one segment over all rows: segment {@code s}'s codes start at {@code s · segmentStride}. */
    private final int segmentStride;
    /** Planes per segment for the planar layouts: {@code ceil(segment / segmentBytes)}, the last maybe partly empty. */
    private final int planesPerSegment;
    /**
     * A row's runs of codes at one bit position (the planes of each segment), in column order, so that walking a
     * slice costs no division per run: run {@code j} holds columns {@code [runStarts[j], runStarts[j + 1])}, row
     * {@code r}'s codes of it start at byte {@code r · segmentBytes + runOffsets[j] + (c − runStarts[j])}, shifted
     * right by {@code runShifts[j]}. Null for the 3-bit stream.
     */
    private final int[] runStarts;
    private final int[] runOffsets;
    private final int[] runShifts;
    /** Whether every run is made of whole loads, so that a whole row can be decoded from {@link RowChunks}. */
    private final boolean wholeLoadRuns;
    /** Built on the first whole-row dequantization (a re-compression's), so that blocks never read whole keep none. */
    private RowChunks rowChunks;
    private final boolean planar;
    private final byte[] codes;
    /** True: one (min, step) per column, shared by all rows. False: per row and run of {@link #group} columns. */
    private final boolean perColumn;
    private final int group;
    private final int groupsPerRow;
    private final short[] minimums;
    private final short[] steps;
    /** fp16 scale per column, or null when the block has none. */
    private final short[] channelScales;

    /**
     * @param segment columns per segment of the code layout; it divides {@code width}
     * @param group   0 for per-column parameters, else the run length of per-row parameters
     */
    MinMaxQuantizedBlock(int rows, int width, int segment, int bits, byte[] codes, int group, short[] minimums,
                         short[] steps, short[] channelScales) {
        if (segment <= 0 || width % segment != 0) {
            throw new IllegalArgumentException("a segment of " + segment + " columns does not divide " + width);
        }
        this.rows = rows;
        this.width = width;
        this.bits = MinMaxQuantization.checkBits(bits);
        this.mask = MinMaxQuantization.maxCode(bits);
        this.segment = segment;
        this.segmentBytes = CodePacking.rowBytes(segment, bits);
        this.segmentStride = rows * segmentBytes;
        this.planar = CodePacking.isPlanar(bits);
        this.planesPerSegment = Math.ceilDiv(segment, segmentBytes);
        int runs = width / segment * planesPerSegment;
        this.runStarts = planar ? new int[runs + 1] : null;
        this.runOffsets = planar ? new int[runs] : null;
        this.runShifts = planar ? new int[runs] : null;
        for (int run = 0; planar && run < runs; run++) {
            int plane = run % planesPerSegment;
            runStarts[run] = run / planesPerSegment * segment + plane * segmentBytes;
            runOffsets[run] = run / planesPerSegment * segmentStride;
            runShifts[run] = plane * bits;
        }
        if (planar) {
            runStarts[runs] = width;
        }
        this.wholeLoadRuns = planar && segmentBytes % QuantizedVectors.CODE_LANES == 0 && segment % segmentBytes == 0;
        this.codes = codes;
        this.perColumn = group == 0;
        this.group = perColumn ? width : Math.min(group, width);
        this.groupsPerRow = perColumn ? 0 : Math.ceilDiv(width, this.group);
        this.minimums = minimums;
        this.steps = steps;
        this.channelScales = channelScales;
        int parameters = perColumn ? width : rows * groupsPerRow;
        if (codes.length != width / segment * segmentStride || minimums.length != parameters
                || steps.length != parameters || (channelScales != null && channelScales.length != width)) {
            throw new IllegalArgumentException("inconsistent block arrays for " + rows + " × " + width);
        }
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int bits() {
        return bits;
    }

    /** Packed codes, every (min, step) at 2 bytes, and the channel scales at 2 bytes each if the block holds them. */
    @Override
    public long bytes() {
        return bytesExcludingChannelScales() + channelScaleBytes();
    }

    /**
     * {@link #bytes()} without the channel scales: a cache that shares one set of scales between several blocks
     * (CST's salient and regular groups, ZIPCACHE.md §4) counts {@link #channelScaleBytes()} once itself.
     */
    public long bytesExcludingChannelScales() {
        return (long) codes.length + (long) HALF_BYTES * (minimums.length + steps.length);
    }

    /** Bytes of the channel scales this block holds: 2 per column, or 0 without scales. */
    public long channelScaleBytes() {
        return channelScales == null ? 0 : (long) HALF_BYTES * channelScales.length;
    }

    /** Whether the block holds channel scales. */
    public boolean hasChannelScales() {
        return channelScales != null;
    }

    /** The scale of {@code column} (the stored fp16 value), 1 when the block holds none. */
    public float channelScale(int column) {
        Objects.checkIndex(column, width);
        return channelScales == null ? 1f : Float.float16ToFloat(channelScales[column]);
    }

    /** The (min, step) that applies to {@code [row, column]}. */
    public GroupParameters parameters(int row, int column) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(column, width);
        int index = parameterIndex(row, column);
        return new GroupParameters(minimums[index], steps[index]);
    }

    /** The code stored for {@code [row, column]}. */
    public int code(int row, int column) {
        Objects.checkIndex(row, rows);
        Objects.checkIndex(column, width);
        return codeAt(row, column);
    }

    @Override
    public void dequantize(int row, int column, float[] out, int outOffset, int length) {
        checkSlice(row, column, length, out, outOffset);
        if (!planar) {
            dequantizeUnchecked(row, column, out, outOffset, length);
            return;
        }
        if (length == width && wholeLoadRuns && (perColumn || groupsPerRow == 1)) {
            RowChunks chunks = rowChunks();
            if (perColumn) {
                RunKernels.columnDecodeChunks(codes, row * segmentBytes, chunks.offsets(), chunks.shifts(),
                        chunks.columns(), mask, minimums, steps, channelScales, out, outOffset);
            } else {
                RunKernels.rowDecodeChunks(codes, row * segmentBytes, chunks.offsets(), chunks.shifts(),
                        chunks.columns(), mask, Float.float16ToFloat(steps[row]), Float.float16ToFloat(minimums[row]),
                        channelScales, out, outOffset);
            }
            return;
        }
        int end = column + length;
        int rowOffset = row * segmentBytes;
        for (int c = column, run = runAt(column); c < end; ) {
            int runEnd = parameterRunEnd(c, Math.min(end, runStarts[run + 1]));
            int index = rowOffset + runOffsets[run] + c - runStarts[run];
            int shift = runShifts[run];
            int outIndex = outOffset + c - column;
            int n = runEnd - c;
            if (perColumn) {
                RunKernels.columnDecode(codes, index, shift, mask, minimums, steps, channelScales, c, out, outIndex,
                        n);
            } else {
                int parameter = row * groupsPerRow + c / group;
                RunKernels.rowDecode(codes, index, shift, mask, Float.float16ToFloat(steps[parameter]),
                        Float.float16ToFloat(minimums[parameter]), channelScales, c, out, outIndex, n);
            }
            c = runEnd;
            if (c == runStarts[run + 1]) {
                run++;
            }
        }
    }

    /** The scalar twin of {@link #dequantize}, which the 3-bit stream also takes. */
    public void dequantizeScalar(int row, int column, float[] out, int outOffset, int length) {
        checkSlice(row, column, length, out, outOffset);
        dequantizeUnchecked(row, column, out, outOffset, length);
    }

    private void dequantizeUnchecked(int row, int column, float[] out, int outOffset, int length) {
        for (int i = 0; i < length; i++) {
            int c = column + i;
            int index = parameterIndex(row, c);
            float value = MinMaxQuantization.dequantize(codeAt(row, c),
                    Float.float16ToFloat(minimums[index]), Float.float16ToFloat(steps[index]));
            out[outOffset + i] = channelScales == null ? value : value * Float.float16ToFloat(channelScales[c]);
        }
    }

    @Override
    public float dot(int row, int column, float[] query, int queryOffset, int length) {
        checkSlice(row, column, length, query, queryOffset);
        if (!planar) {
            return dotUnchecked(row, column, query, queryOffset, length);
        }
        int end = column + length;
        int rowOffset = row * segmentBytes;
        float sum = 0f;
        for (int c = column, run = runAt(column); c < end; ) {
            int runEnd = parameterRunEnd(c, Math.min(end, runStarts[run + 1]));
            int index = rowOffset + runOffsets[run] + c - runStarts[run];
            int shift = runShifts[run];
            int queryIndex = queryOffset + c - column;
            int n = runEnd - c;
            if (perColumn) {
                sum += RunKernels.columnDot(codes, index, shift, mask, minimums, steps, c, query, queryIndex, n);
            } else {
                int parameter = row * groupsPerRow + c / group;
                float step = Float.float16ToFloat(steps[parameter]);
                float minimum = Float.float16ToFloat(minimums[parameter]);
                sum += channelScales == null
                        ? RunKernels.rowDot(codes, index, shift, mask, step, minimum, query, queryIndex, n)
                        : RunKernels.rowDotScaled(codes, index, shift, mask, channelScales, c, step, minimum,
                        query, queryIndex, n);
            }
            c = runEnd;
            if (c == runStarts[run + 1]) {
                run++;
            }
        }
        return sum;
    }

    @Override
    public void addWeighted(int row, int column, float weight, float[] out, int outOffset, int length) {
        checkSlice(row, column, length, out, outOffset);
        if (!planar) {
            addWeightedUnchecked(row, column, weight, out, outOffset, length);
            return;
        }
        int end = column + length;
        int rowOffset = row * segmentBytes;
        for (int c = column, run = runAt(column); c < end; ) {
            int runEnd = parameterRunEnd(c, Math.min(end, runStarts[run + 1]));
            int index = rowOffset + runOffsets[run] + c - runStarts[run];
            int shift = runShifts[run];
            int outIndex = outOffset + c - column;
            int n = runEnd - c;
            if (perColumn) {
                RunKernels.columnAdd(codes, index, shift, mask, minimums, steps, c, weight, out, outIndex, n);
            } else {
                int parameter = row * groupsPerRow + c / group;
                float a = weight * Float.float16ToFloat(steps[parameter]);
                float b = weight * Float.float16ToFloat(minimums[parameter]);
                if (channelScales == null) {
                    RunKernels.rowAdd(codes, index, shift, mask, a, b, out, outIndex, n);
                } else {
                    RunKernels.rowAddScaled(codes, index, shift, mask, channelScales, c, a, b, out, outIndex, n);
                }
            }
            c = runEnd;
            if (c == runStarts[run + 1]) {
                run++;
            }
        }
    }

    /**
     * Scores of many rows against one query with the query-side work done once: per-column parameters fold into the
     * query ({@code w_i = q_i·step_i}, constant {@code Σ q_i·min_i}); per-row parameters fold the channel scales
     * ({@code w_i = q_i·s_i}), leaving {@code Σ_g step_rg·Σ_{i∈g} c_ri·w_i + min_rg·Σ_{i∈g} w_i} per row, one term per
     * parameter group the slice crosses. 3-bit blocks take the row-by-row path.
     */
    @Override
    public void dotRows(int firstRow, int rowCount, int column, float[] query, int queryOffset, int length,
                        float[] out, int outOffset) {
        Objects.checkFromIndexSize(firstRow, rowCount, rows);
        Objects.checkFromIndexSize(outOffset, rowCount, out.length);
        checkSlice(firstRow, column, length, query, queryOffset);
        if (!planar || length == 0) {
            QuantizedBlock.super.dotRows(firstRow, rowCount, column, query, queryOffset, length, out, outOffset);
            return;
        }
        Scratch scratch = Scratch.get();
        float[] weights = scratch.first(length);
        float constant = 0f;
        for (int i = 0; i < length; i++) {
            int c = column + i;
            float q = query[queryOffset + i];
            if (perColumn) {
                weights[i] = q * Float.float16ToFloat(steps[c]);
                constant += q * Float.float16ToFloat(minimums[c]);
            } else {
                weights[i] = q * scale(c);
            }
        }
        if (perColumn) {
            int r = 0;
            if (onePlane(column, length)) {
                float[] sums = scratch.sums();
                int first = codeIndex(firstRow, column);
                int shift = codeShift(column);
                for (; r + 4 <= rowCount; r += 4) {
                    codeDot4(first + r * segmentBytes, shift, weights, 0, length, sums);
                    for (int k = 0; k < 4; k++) {
                        out[outOffset + r + k] = sums[k] + constant;
                    }
                }
            }
            for (; r < rowCount; r++) {
                out[outOffset + r] = codeDot(firstRow + r, column, weights, 0, length) + constant;
            }
            return;
        }
        int firstGroup = column / group;
        int groups = (column + length - 1) / group - firstGroup + 1;
        float[] weightSums = scratch.third(groups);
        for (int g = 0; g < groups; g++) {
            int from = Math.max(column, (firstGroup + g) * group);
            int to = Math.min(column + length, (firstGroup + g + 1) * group);
            float sum = 0f;
            for (int c = from; c < to; c++) {
                sum += weights[c - column];
            }
            weightSums[g] = sum;
        }
        int r = 0;
        if (onePlane(column, length)) {
            float[] sums = scratch.sums();
            // One run of codes: a column's byte is the slice's first plus its distance from the slice's start.
            int first = codeIndex(firstRow, column) - column;
            int shift = codeShift(column);
            for (; r + 4 <= rowCount; r += 4) {
                for (int k = 0; k < 4; k++) {
                    out[outOffset + r + k] = 0f;
                }
                for (int g = 0; g < groups; g++) {
                    int from = Math.max(column, (firstGroup + g) * group);
                    int to = Math.min(column + length, (firstGroup + g + 1) * group);
                    codeDot4(first + r * segmentBytes + from, shift, weights, from - column, to - from, sums);
                    for (int k = 0; k < 4; k++) {
                        int parameter = (firstRow + r + k) * groupsPerRow + firstGroup + g;
                        out[outOffset + r + k] += Float.float16ToFloat(steps[parameter]) * sums[k]
                                + Float.float16ToFloat(minimums[parameter]) * weightSums[g];
                    }
                }
            }
        }
        for (; r < rowCount; r++) {
            int row = firstRow + r;
            float score = 0f;
            for (int g = 0; g < groups; g++) {
                int from = Math.max(column, (firstGroup + g) * group);
                int to = Math.min(column + length, (firstGroup + g + 1) * group);
                int parameter = row * groupsPerRow + firstGroup + g;
                score += Float.float16ToFloat(steps[parameter]) * codeDot(row, from, weights, from - column, to - from)
                        + Float.float16ToFloat(minimums[parameter]) * weightSums[g];
            }
            out[outOffset + r] = score;
        }
    }

    /**
     * The weighted sum of many rows accumulated in code space: {@code a_r} times each row's codes (a_r = w_r for
     * per-column parameters, w_r·step_rg per row and group), then one pass applies the minimums and channel scales.
     */
    @Override
    public void addWeightedRows(int firstRow, int rowCount, int column, float[] weights, int weightsOffset,
                                float[] out, int outOffset, int length) {
        Objects.checkFromIndexSize(firstRow, rowCount, rows);
        Objects.checkFromIndexSize(weightsOffset, rowCount, weights.length);
        checkSlice(firstRow, column, length, out, outOffset);
        if (!planar || length == 0) {
            QuantizedBlock.super.addWeightedRows(firstRow, rowCount, column, weights, weightsOffset, out, outOffset,
                    length);
            return;
        }
        Scratch scratch = Scratch.get();
        float[] accumulator = scratch.second(length);
        java.util.Arrays.fill(accumulator, 0, length, 0f);
        int firstGroup = perColumn ? 0 : column / group;
        int groups = perColumn ? 1 : (column + length - 1) / group - firstGroup + 1;
        float[] offsetSums = scratch.third(groups);
        java.util.Arrays.fill(offsetSums, 0, groups, 0f);
        int r = 0;
        if (onePlane(column, length)) {
            int first = codeIndex(firstRow, column);
            int shift = codeShift(column);
            for (; r + 4 <= rowCount; r += 4) {
                int index = first + r * segmentBytes;
                float w0 = weights[weightsOffset + r];
                float w1 = weights[weightsOffset + r + 1];
                float w2 = weights[weightsOffset + r + 2];
                float w3 = weights[weightsOffset + r + 3];
                if (perColumn) {
                    offsetSums[0] += w0 + w1 + w2 + w3;
                    codeAccumulate4(index, shift, w0, w1, w2, w3, accumulator, 0, length);
                    continue;
                }
                if (groups == 1) {
                    int p0 = (firstRow + r) * groupsPerRow + firstGroup;
                    int p1 = p0 + groupsPerRow;
                    int p2 = p1 + groupsPerRow;
                    int p3 = p2 + groupsPerRow;
                    offsetSums[0] += w0 * Float.float16ToFloat(minimums[p0]) + w1 * Float.float16ToFloat(minimums[p1])
                            + w2 * Float.float16ToFloat(minimums[p2]) + w3 * Float.float16ToFloat(minimums[p3]);
                    codeAccumulate4(index, shift, w0 * Float.float16ToFloat(steps[p0]),
                            w1 * Float.float16ToFloat(steps[p1]), w2 * Float.float16ToFloat(steps[p2]),
                            w3 * Float.float16ToFloat(steps[p3]), accumulator, 0, length);
                    continue;
                }
                // Several groups in the slice (KIVI values): one call with per-group factors.
                float[] factors = scratch.factors(4 * groups);
                for (int g = 0; g < groups; g++) {
                    int p0 = (firstRow + r) * groupsPerRow + firstGroup + g;
                    int p1 = p0 + groupsPerRow;
                    int p2 = p1 + groupsPerRow;
                    int p3 = p2 + groupsPerRow;
                    offsetSums[g] += w0 * Float.float16ToFloat(minimums[p0]) + w1 * Float.float16ToFloat(minimums[p1])
                            + w2 * Float.float16ToFloat(minimums[p2]) + w3 * Float.float16ToFloat(minimums[p3]);
                    factors[4 * g] = w0 * Float.float16ToFloat(steps[p0]);
                    factors[4 * g + 1] = w1 * Float.float16ToFloat(steps[p1]);
                    factors[4 * g + 2] = w2 * Float.float16ToFloat(steps[p2]);
                    factors[4 * g + 3] = w3 * Float.float16ToFloat(steps[p3]);
                }
                RunKernels.codeAccumulate4Grouped(codes, index, index + segmentBytes, index + 2 * segmentBytes,
                        index + 3 * segmentBytes, shift, mask, factors, column, group, accumulator, 0, length);
            }
        }
        for (; r < rowCount; r++) {
            int row = firstRow + r;
            float weight = weights[weightsOffset + r];
            if (perColumn) {
                codeAccumulate(row, column, weight, accumulator, 0, length);
                offsetSums[0] += weight;
                continue;
            }
            for (int g = 0; g < groups; g++) {
                int from = Math.max(column, (firstGroup + g) * group);
                int to = Math.min(column + length, (firstGroup + g + 1) * group);
                int parameter = row * groupsPerRow + firstGroup + g;
                codeAccumulate(row, from, weight * Float.float16ToFloat(steps[parameter]), accumulator,
                        from - column, to - from);
                offsetSums[g] += weight * Float.float16ToFloat(minimums[parameter]);
            }
        }
        for (int i = 0; i < length; i++) {
            int c = column + i;
            out[outOffset + i] += perColumn
                    ? Float.float16ToFloat(steps[c]) * accumulator[i] + Float.float16ToFloat(minimums[c]) * offsetSums[0]
                    : scale(c) * (accumulator[i] + offsetSums[c / group - firstGroup]);
        }
    }

    /** Query heads the group kernels serve at once: a GQA group of four shares each unpacked code. */
    public static final int GROUP_HEADS = 4;

    /**
     * Rows per tile of the group kernels: the value kernel's codes (≤ 64 × 128 bytes for a 128-channel head slice of
     * 8-bit codes) stay in the first-level cache while each pass of channels walks them; the key kernel keeps a tile's
     * sums (four per row) until it scores the tile.
     */
    private static final int TILE_ROWS = 64;

    /**
     * {@link #dotRows} for {@code heads} queries at once (the query heads that read one KV head): query {@code h} at
     * {@code queries[queryOffset + h · queryStride ..]}, its scores at {@code out[outOffset + h · outStride ..]}. With
     * {@link #GROUP_HEADS} heads each row's codes are unpacked once for all of them; otherwise, or where a slice
     * crosses planes or parameter groups, it is {@link #dotRows} per head.
     */
    public void dotRowsGroup(int firstRow, int rowCount, int column, float[] queries, int queryOffset,
                             int queryStride, int heads, int length, float[] out, int outOffset, int outStride) {
        if (!groupKernel(heads, column, length, rowCount)) {
            for (int h = 0; h < heads; h++) {
                dotRows(firstRow, rowCount, column, queries, queryOffset + h * queryStride, length, out,
                        outOffset + h * outStride);
            }
            return;
        }
        Objects.checkFromIndexSize(firstRow, rowCount, rows);
        Objects.checkFromIndexSize(outOffset, (heads - 1) * outStride + rowCount, out.length);
        checkSlice(firstRow, column, length, queries, queryOffset + (heads - 1) * queryStride);
        Scratch scratch = Scratch.get();
        float[] weights = scratch.first(GROUP_HEADS * length);
        float[] constants = scratch.third(GROUP_HEADS);
        for (int h = 0; h < GROUP_HEADS; h++) {
            float constant = 0f;
            int query = queryOffset + h * queryStride;
            for (int i = 0; i < length; i++) {
                int c = column + i;
                float q = queries[query + i];
                if (perColumn) {
                    weights[h * length + i] = q * Float.float16ToFloat(steps[c]);
                    constant += q * Float.float16ToFloat(minimums[c]);
                } else {
                    float weight = q * scale(c);
                    weights[h * length + i] = weight;
                    constant += weight;
                }
            }
            constants[h] = constant;
        }
        int parameterGroup = perColumn ? 0 : column / group;
        float[] sums = scratch.groupSums();
        PlaneRuns runs = scratch.planeRuns().split(column % segment, length, segmentBytes, bits);
        int segmentStart = (column / segment) * segmentStride;
        int r = 0;
        while (r + 4 <= rowCount) {
            // A tile's sums are kept, four rows × four heads per kernel call, and turned into scores a vector of rows
            // at a time: per row and head in scalar code, that took a sixth of the key side.
            int tile = Math.min(TILE_ROWS, (rowCount - r) & -4);
            for (int k = 0; k < tile; k += 4) {
                RunKernels.codeDot4x4(codes, segmentStart + (firstRow + r + k) * segmentBytes, segmentBytes, mask,
                        runs, weights, length, sums, 4 * k);
            }
            RunKernels.scoreRows4(sums, tile, perColumn ? null : steps, minimums,
                    (firstRow + r) * groupsPerRow + parameterGroup, groupsPerRow, constants, out, outOffset + r,
                    outStride);
            r += tile;
        }
        for (; r < rowCount; r++) {
            for (int h = 0; h < GROUP_HEADS; h++) {
                out[outOffset + h * outStride + r] = groupScore(firstRow + r, parameterGroup,
                        codeDot(firstRow + r, column, weights, h * length, length), constants[h]);
            }
        }
    }

    /**
     * A score from its code-space sum: {@code step·sum + min·Σ weights} per row; per column the parameters are in the
     * weights and the constant already, and {@link #rowStep}/{@link #rowMinimum} are 1 (exact: sum + constant).
     */
    private float groupScore(int row, int parameterGroup, float codeSum, float constant) {
        return rowStep(row, parameterGroup) * codeSum + rowMinimum(row, parameterGroup) * constant;
    }

    /** Row {@code row}'s step in parameter group {@code parameterGroup}, or 1 where parameters are per column. */
    private float rowStep(int row, int parameterGroup) {
        return perColumn ? 1f : Float.float16ToFloat(steps[row * groupsPerRow + parameterGroup]);
    }

    /** Row {@code row}'s minimum in parameter group {@code parameterGroup}, or 1 where parameters are per column. */
    private float rowMinimum(int row, int parameterGroup) {
        return perColumn ? 1f : Float.float16ToFloat(minimums[row * groupsPerRow + parameterGroup]);
    }

    /**
     * {@link #addWeightedRows} for {@code heads} weight rows at once: head {@code h}'s weights at
     * {@code weights[weightsOffset + h · weightsStride ..]}, its sum added to {@code out[outOffset + h · outStride ..]}.
     * With {@link #GROUP_HEADS} heads each row's codes are unpacked once for all of them.
     */
    public void addWeightedRowsGroup(int firstRow, int rowCount, int column, float[] weights, int weightsOffset,
                                     int weightsStride, int heads, float[] out, int outOffset, int outStride,
                                     int length) {
        if (!groupKernel(heads, column, length, rowCount)) {
            for (int h = 0; h < heads; h++) {
                addWeightedRows(firstRow, rowCount, column, weights, weightsOffset + h * weightsStride, out,
                        outOffset + h * outStride, length);
            }
            return;
        }
        Objects.checkFromIndexSize(firstRow, rowCount, rows);
        Objects.checkFromIndexSize(weightsOffset, (heads - 1) * weightsStride + rowCount, weights.length);
        checkSlice(firstRow, column, length, out, outOffset + (heads - 1) * outStride);
        Scratch scratch = Scratch.get();
        float[] accumulator = scratch.second(GROUP_HEADS * length);
        java.util.Arrays.fill(accumulator, 0, GROUP_HEADS * length, 0f);
        float[] offsetSums = scratch.third(GROUP_HEADS);
        java.util.Arrays.fill(offsetSums, 0, GROUP_HEADS, 0f);
        float[] factors = scratch.factors(GROUP_HEADS * TILE_ROWS);
        int parameterGroup = perColumn ? 0 : column / group;
        PlaneRuns runs = scratch.planeRuns().split(column % segment, length, segmentBytes, bits);
        int segmentStart = (column / segment) * segmentStride;
        for (int r = 0; r < rowCount; r += TILE_ROWS) {
            int tile = Math.min(TILE_ROWS, rowCount - r);
            // Per-column parameters apply after the sum; per-row ones are decoded once for the four heads.
            RunKernels.rowFactors4(perColumn ? null : steps, minimums,
                    (firstRow + r) * groupsPerRow + parameterGroup, groupsPerRow, weights, weightsOffset + r,
                    weightsStride, tile, factors, TILE_ROWS, offsetSums);
            RunKernels.codeAccumulateRows4(codes, segmentStart + (firstRow + r) * segmentBytes, segmentBytes, tile,
                    mask, runs, factors, TILE_ROWS, accumulator, length);
        }
        for (int h = 0; h < GROUP_HEADS; h++) {
            int target = outOffset + h * outStride;
            for (int i = 0; i < length; i++) {
                int c = column + i;
                float sum = accumulator[h * length + i];
                out[target + i] += perColumn
                        ? Float.float16ToFloat(steps[c]) * sum + Float.float16ToFloat(minimums[c]) * offsetSums[h]
                        : scale(c) * (sum + offsetSums[h]);
            }
        }
    }

    /** Whether the four-head kernels apply: packed planes, one segment, one parameter run, four rows or more. */
    private boolean groupKernel(int heads, int column, int length, int rowCount) {
        return heads == GROUP_HEADS && planar && length > 0 && rowCount >= 4
                && column / segment == (column + length - 1) / segment
                && (perColumn || column / group == (column + length - 1) / group);
    }

    /** Whether a slice's codes lie in one plane of one segment: a contiguous run of bytes per row at one shift. */
    private boolean onePlane(int column, int length) {
        return runAt(column) == runAt(column + length - 1);
    }

    /**
     * {@link #codeDot} of four consecutive rows over a one-plane run whose first row's codes start at {@code index},
     * into {@code sums[0..3]}.
     */
    private void codeDot4(int index, int shift, float[] weights, int weightsOffset, int length, float[] sums) {
        RunKernels.codeDot4(codes, index, index + segmentBytes, index + 2 * segmentBytes, index + 3 * segmentBytes,
                shift, mask, weights, weightsOffset, length, sums);
    }

    /** {@link #codeAccumulate} of four consecutive rows over a one-plane run. */
    private void codeAccumulate4(int index, int shift, float a0, float a1, float a2, float a3, float[] accumulator,
                                 int accumulatorOffset, int length) {
        RunKernels.codeAccumulate4(codes, index, index + segmentBytes, index + 2 * segmentBytes,
                index + 3 * segmentBytes, shift, mask, a0, a1, a2, a3, accumulator, accumulatorOffset, length);
    }

    /** Σ code·weights[weightsOffset ..] over a row's columns {@code [column, column + length)}, run by run. */
    private float codeDot(int row, int column, float[] weights, int weightsOffset, int length) {
        int end = column + length;
        int rowOffset = row * segmentBytes;
        float sum = 0f;
        for (int run = runAt(column), c = column; c < end; run++) {
            int runEnd = Math.min(end, runStarts[run + 1]);
            sum += RunKernels.codeDot(codes, rowOffset + runOffsets[run] + c - runStarts[run], runShifts[run], mask,
                    weights, weightsOffset + c - column, runEnd - c);
            c = runEnd;
        }
        return sum;
    }

    /** accumulator[accumulatorOffset ..] += a·codes over a row's columns {@code [column, column + length)}. */
    private void codeAccumulate(int row, int column, float a, float[] accumulator, int accumulatorOffset,
                                int length) {
        int end = column + length;
        int rowOffset = row * segmentBytes;
        for (int run = runAt(column), c = column; c < end; run++) {
            int runEnd = Math.min(end, runStarts[run + 1]);
            RunKernels.codeAccumulate(codes, rowOffset + runOffsets[run] + c - runStarts[run], runShifts[run], mask,
                    a, accumulator, accumulatorOffset + c - column, runEnd - c);
            c = runEnd;
        }
    }

    /** Per-thread work arrays of the batch kernels, so a decode step allocates nothing. */
    private static final class Scratch {
        private static final ThreadLocal<Scratch> PER_THREAD = ThreadLocal.withInitial(Scratch::new);
        private float[] first = new float[128];
        private float[] second = new float[128];
        private float[] third = new float[16];
        private final float[] sums = new float[4];
        private final float[] groupSums = new float[TILE_ROWS * GROUP_HEADS];
        private final PlaneRuns planeRuns = new PlaneRuns();

        PlaneRuns planeRuns() {
            return planeRuns;
        }

        float[] groupSums() {
            return groupSums;
        }
        private float[] factors = new float[64];

        float[] factors(int length) {
            if (factors.length < length) {
                factors = new float[length];
            }
            return factors;
        }

        float[] sums() {
            return sums;
        }

        static Scratch get() {
            return PER_THREAD.get();
        }

        float[] first(int length) {
            if (first.length < length) {
                first = new float[length];
            }
            return first;
        }

        float[] third(int length) {
            if (third.length < length) {
                third = new float[length];
            }
            return third;
        }

        float[] second(int length) {
            if (second.length < length) {
                second = new float[length];
            }
            return second;
        }
    }

    /** The scalar twin of {@link #dot}: the same algebra per parameter run, one code at a time. */
    public float dotScalar(int row, int column, float[] query, int queryOffset, int length) {
        checkSlice(row, column, length, query, queryOffset);
        return dotUnchecked(row, column, query, queryOffset, length);
    }

    /** The scalar twin of {@link #addWeighted}. */
    public void addWeightedScalar(int row, int column, float weight, float[] out, int outOffset, int length) {
        checkSlice(row, column, length, out, outOffset);
        addWeightedUnchecked(row, column, weight, out, outOffset, length);
    }

    private float dotUnchecked(int row, int column, float[] query, int queryOffset, int length) {
        int end = column + length;
        float sum = 0f;
        if (perColumn) {
            for (int c = column; c < end; c++) {
                float value = codeAt(row, c) * Float.float16ToFloat(steps[c]) + Float.float16ToFloat(minimums[c]);
                sum += query[queryOffset + c - column] * value;
            }
            return sum;
        }
        for (int c = column; c < end; ) {
            int runEnd = Math.min(end, (c / group + 1) * group);
            float codeSum = 0f;
            float querySum = 0f;
            for (int k = c; k < runEnd; k++) {
                float q = query[queryOffset + k - column] * scale(k);
                codeSum += codeAt(row, k) * q;
                querySum += q;
            }
            int parameter = row * groupsPerRow + c / group;
            sum += Float.float16ToFloat(steps[parameter]) * codeSum + Float.float16ToFloat(minimums[parameter]) * querySum;
            c = runEnd;
        }
        return sum;
    }

    private void addWeightedUnchecked(int row, int column, float weight, float[] out, int outOffset, int length) {
        int end = column + length;
        if (perColumn) {
            for (int c = column; c < end; c++) {
                float value = codeAt(row, c) * Float.float16ToFloat(steps[c]) + Float.float16ToFloat(minimums[c]);
                out[outOffset + c - column] += weight * value;
            }
            return;
        }
        for (int c = column; c < end; ) {
            int runEnd = Math.min(end, (c / group + 1) * group);
            int parameter = row * groupsPerRow + c / group;
            float a = weight * Float.float16ToFloat(steps[parameter]);
            float b = weight * Float.float16ToFloat(minimums[parameter]);
            for (int k = c; k < runEnd; k++) {
                out[outOffset + k - column] += (a * codeAt(row, k) + b) * scale(k);
            }
            c = runEnd;
        }
    }

    /**
     * A whole row as whole loads of {@link QuantizedVectors#CODE_LANES} codes: chunk {@code j}'s codes start at byte
     * {@code offsets[j]} from the row's start in segment 0, shifted right by {@code shifts[j]}, and are columns
     * {@code columns[j] ..}. A re-compression dequantizes every row whole, and a head's 2-bit segment is four runs of
     * 32 codes: one loop over these instead of a kernel call per run.
     */
    private record RowChunks(int[] offsets, int[] shifts, int[] columns) {
    }

    /** The row's chunks, built once; a race builds equal lists, and a record's final fields publish them safely. */
    private RowChunks rowChunks() {
        RowChunks chunks = rowChunks;
        if (chunks == null) {
            int count = width / QuantizedVectors.CODE_LANES;
            int[] offsets = new int[count];
            int[] shifts = new int[count];
            int[] columns = new int[count];
            for (int chunk = 0; chunk < count; chunk++) {
                int column = chunk * QuantizedVectors.CODE_LANES;
                int run = runAt(column);
                offsets[chunk] = runOffsets[run] + column - runStarts[run];
                shifts[chunk] = runShifts[run];
                columns[chunk] = column;
            }
            // Filled before the record is made: its final fields then publish the arrays' contents too.
            chunks = new RowChunks(offsets, shifts, columns);
            rowChunks = chunks;
        }
        return chunks;
    }

    /** The run (plane of a segment, {@link #runStarts}) that holds column {@code column}. */
    private int runAt(int column) {
        int segmentIndex = column / segment;
        return segmentIndex * planesPerSegment + (column - segmentIndex * segment) / segmentBytes;
    }

    /** {@code runEnd}, or where the run of per-row parameters that holds column {@code c} ends if that is sooner. */
    private int parameterRunEnd(int c, int runEnd) {
        return perColumn || groupsPerRow == 1 ? runEnd : Math.min(runEnd, (c / group + 1) * group);
    }

    /** Index of the byte that holds the planar code of {@code [row, column]}. */
    private int codeIndex(int row, int column) {
        int run = runAt(column);
        return row * segmentBytes + runOffsets[run] + column - runStarts[run];
    }

    /** Right shift that brings the planar code of {@code column} to the low bits of its byte. */
    private int codeShift(int column) {
        return runShifts[runAt(column)];
    }

    /** Where row {@code row}'s packed codes of the segment holding {@code column} start. */
    private int segmentRowOffset(int row, int column) {
        return column / segment * segmentStride + row * segmentBytes;
    }

    private int parameterIndex(int row, int column) {
        return perColumn ? column : row * groupsPerRow + column / group;
    }

    private int codeAt(int row, int column) {
        return CodePacking.codeAt(codes, segmentRowOffset(row, column), segmentBytes, bits, column % segment);
    }

    private float scale(int column) {
        return channelScales == null ? 1f : Float.float16ToFloat(channelScales[column]);
    }

    private void checkSlice(int row, int column, int length, float[] array, int arrayOffset) {
        Objects.checkIndex(row, rows);
        Objects.checkFromIndexSize(column, length, width);
        Objects.checkFromIndexSize(arrayOffset, length, array.length);
    }
}
