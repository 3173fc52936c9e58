package dev.zipcache.cuda;

import dev.zipcache.engine.tensor.GgmlType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link Device} that runs the host code without a GPU: memory is heap buffers, and each launch is first checked
 * against the committed PTX (the entry exists, the arguments match its parameter types one by one, pointers lie inside
 * live allocations, the grid covers the work) and then executed by a Java twin of the kernel in {@code kernels.cu}.
 * The twins follow the kernels' decomposition where it changes the arithmetic (the attention kernels' per-warp and
 * per-tile online softmax); elsewhere they compute the kernel's formula plainly.
 */
final class EmulatedDevice implements Device {

    private static final Map<String, List<String>> SIGNATURES = PtxSignatures.committed();

    private final Map<Long, ByteBuffer> memory = new HashMap<>();
    private final List<Launch> launches = new ArrayList<>();
    private long nextAllocation = 1;
    private long allocatedBytes;

    @Override
    public String description() {
        return "emulated device";
    }

    @Override
    public DevicePointer allocate(long bytes) {
        ByteBuffer buffer = ByteBuffer.allocate(Math.toIntExact(Math.max(bytes, 1))).order(ByteOrder.LITTLE_ENDIAN);
        long id = nextAllocation++;
        memory.put(id, buffer);
        allocatedBytes += bytes;
        return new DevicePointer(id, 0);
    }

    @Override
    public void free(DevicePointer allocation) {
        if (allocation.offset() != 0) {
            throw new AssertionError("free of an interior pointer " + allocation);
        }
        ByteBuffer freed = memory.remove(allocation.allocation());
        if (freed == null) {
            throw new AssertionError("double free or unknown allocation " + allocation);
        }
        allocatedBytes -= freed.capacity() == 1 ? 0 : freed.capacity();
    }

    /** Allocations still live. */
    int liveAllocations() {
        return memory.size();
    }

    /** Every launch so far, in order. */
    List<Launch> launches() {
        return launches;
    }

    @Override
    public void upload(DevicePointer target, ByteBuffer source) {
        ByteBuffer buffer = buffer(target, source.remaining());
        buffer.put(Math.toIntExact(target.offset()), source.duplicate(), source.position(), source.remaining());
    }

    @Override
    public void upload(DevicePointer target, float[] source, int count) {
        ByteBuffer buffer = buffer(target, (long) count * 4);
        for (int i = 0; i < count; i++) {
            buffer.putFloat(Math.toIntExact(target.offset() + 4L * i), source[i]);
        }
    }

    @Override
    public void upload(DevicePointer target, int[] source, int count) {
        ByteBuffer buffer = buffer(target, (long) count * 4);
        for (int i = 0; i < count; i++) {
            buffer.putInt(Math.toIntExact(target.offset() + 4L * i), source[i]);
        }
    }

    @Override
    public void download(DevicePointer source, float[] target, int targetOffset, int count) {
        ByteBuffer buffer = buffer(source, (long) count * 4);
        for (int i = 0; i < count; i++) {
            target[targetOffset + i] = buffer.getFloat(Math.toIntExact(source.offset() + 4L * i));
        }
    }

    @Override
    public long usedMemory() {
        return allocatedBytes;
    }

    @Override
    public void close() {
        memory.clear();
    }

    /** The buffer of a pointer, after checking that {@code bytes} from it lie inside the allocation. */
    private ByteBuffer buffer(DevicePointer pointer, long bytes) {
        ByteBuffer buffer = memory.get(pointer.allocation());
        if (buffer == null) {
            throw new AssertionError("access to a freed or unknown allocation " + pointer);
        }
        if (pointer.offset() + bytes > buffer.capacity()) {
            throw new AssertionError("access of " + bytes + " bytes at " + pointer + " overruns its allocation of "
                    + buffer.capacity());
        }
        return buffer;
    }

    @Override
    public void launch(Launch launch) {
        check(launch);
        launches.add(launch);
        Args a = new Args(launch.arguments());
        String kernel = launch.kernel();
        int underscore = kernel.indexOf('_');
        String family = underscore < 0 ? kernel : kernel.substring(0, underscore);
        switch (family) {
            case "embed" -> embed(type(kernel), a, launch);
            case "gemv", "gemm" -> matmul(type(kernel), a, launch, family.equals("gemm"));
            default -> {
                switch (kernel) {
                    case "rms_norm" -> rmsNorm(a, launch);
                    case "rope" -> rope(a, launch);
                    case "swiglu" -> swiGlu(a, launch);
                    case "add_in_place" -> add(a, launch);
                    case "add_bias" -> addBias(a, launch);
                    case "kv_append_f16" -> kvAppend(a, launch);
                    case "attention_rows_f16" -> attentionRows(a, launch);
                    case "attention_prefill_f16" -> attentionPrefill(a, launch);
                    case "attention_split_f16" -> attentionSplit(a, launch);
                    case "attention_merge_f16" -> attentionMerge(a, launch);
                    case "kv_window_move_f16" -> windowMove(a, launch);
                    case "kivi_pack_keys" -> kiviPackKeys(a, launch);
                    case "kivi_pack_values" -> kiviPackValues(a, launch);
                    case "attention_rows_kivi" -> attentionKivi(a, launch, false);
                    case "attention_split_kivi" -> attentionKivi(a, launch, true);
                    case "attention_rows_zip" -> attentionZip(a, launch, false);
                    case "attention_split_zip" -> attentionZip(a, launch, true);
                    case "zip_keep_probe_queries" -> keepProbeQueries(a, launch);
                    case "zip_probe_softmax" -> probeSoftmax(a, launch);
                    case "zip_probe_scores" -> probeScores(a, launch);
                    case "zip_gather" -> zipGather(a, launch);
                    case "zip_fit_channels" -> zipFitChannels(a, launch);
                    case "zip_channel_scales" -> zipChannelScales(a, launch);
                    case "zip_fit_rows" -> zipFitRows(a, launch);
                    case "zip_pack_rows" -> zipPackRows(a, launch);
                    default -> throw new AssertionError("no twin for kernel " + kernel);
                }
            }
        }
    }

    /** The launch against the PTX entry: it exists and the arguments match its parameters in number and type. */
    private void check(Launch launch) {
        List<String> parameters = SIGNATURES.get(launch.kernel());
        if (parameters == null) {
            throw new AssertionError("kernels.ptx has no entry " + launch.kernel() + "; it has "
                    + SIGNATURES.keySet());
        }
        List<String> given = launch.arguments().stream().map(KernelArgument::ptxType).toList();
        if (!given.equals(parameters)) {
            throw new AssertionError(launch.kernel() + " takes " + parameters + " but was given " + given);
        }
        for (KernelArgument argument : launch.arguments()) {
            if (argument instanceof KernelArgument.Address(DevicePointer pointer) && pointer.allocation() != 0) {
                buffer(pointer, 0);
            }
        }
    }

    /** The weight type a kernel name ends with: {@code gemv_q8_0} and {@code gemv_q8_0_x16} both name Q8_0. */
    private static GgmlType type(String kernel) {
        String suffix = kernel.substring(kernel.indexOf('_') + 1).replaceFirst("_x\\d+$", "");
        return GgmlType.valueOf(suffix.toUpperCase(Locale.ROOT));
    }

    private static void require(boolean condition, String message) {
        if (!condition) {
            throw new AssertionError(message);
        }
    }

    // ---------------------------------------------------------------------------------------------------------
    // Kernel twins. Argument order = the kernel's parameter order.

    private void embed(GgmlType type, Args a, Launch launch) {
        DevicePointer data = a.pointer(0);
        DevicePointer scales = a.pointer(1);
        int cols = a.integer(2);
        DevicePointer tokens = a.pointer(3);
        DevicePointer out = a.pointer(4);
        for (int b = 0; b < launch.gridX(); b++) {
            int row = getInt(tokens, b);
            for (int col = 0; col < cols; col++) {
                putFloat(out, (long) b * cols + col, weight(type, data, scales, row, col, cols));
            }
        }
    }

    private void matmul(GgmlType type, Args a, Launch launch, boolean tiled) {
        DevicePointer data = a.pointer(0);
        DevicePointer scales = a.pointer(1);
        int rows = a.integer(2);
        int cols = a.integer(3);
        DevicePointer in = a.pointer(4);
        int batch;
        DevicePointer out;
        if (tiled) {
            batch = a.integer(5);
            out = a.pointer(6);
            require(launch.blockX() == 16 && launch.blockY() == 16, "gemm needs a 16 × 16 block");
            require((long) launch.gridX() * KernelLaunches.GEMM_TILE >= rows
                    && (long) launch.gridY() * KernelLaunches.GEMM_TILE >= batch, "gemm grid does not cover");
        } else {
            batch = launch.gridY();
            out = a.pointer(5);
            require(launch.blockX() % 32 == 0, "gemv needs whole warps");
            if (launch.kernel().matches(".*_x\\d+")) {
                // The wide-load kernels read 16-byte chunks of each row and float4s of each input row.
                int chunk = Integer.parseInt(launch.kernel().replaceFirst(".*_x", ""));
                require(cols % chunk == 0 && cols % 4 == 0, launch.kernel() + " needs rows of whole chunks");
                require(data.offset() % 16 == 0 && in.offset() % 16 == 0, launch.kernel() + " needs 16-byte alignment");
            }
            require((long) launch.gridX() * (launch.blockX() / 32) >= rows, "gemv grid does not cover the rows");
        }
        if (type != GgmlType.F32 && type != GgmlType.F16 && type != GgmlType.BF16) {
            require(scales.allocation() != 0, type + " needs its scales");
        }
        float[] x = new float[cols];
        for (int b = 0; b < batch; b++) {
            for (int c = 0; c < cols; c++) {
                x[c] = getFloat(in, (long) b * cols + c);
            }
            for (int r = 0; r < rows; r++) {
                float sum;
                if (launch.kernel().matches(".*_x\\d+")) {
                    sum = wideRowDot(type, data, scales, r, cols, x);
                } else {
                    sum = 0f;
                    for (int c = 0; c < cols; c++) {
                        sum += weight(type, data, scales, r, c, cols) * x[c];
                    }
                }
                putFloat(out, (long) b * rows + r, sum);
            }
        }
    }

    /**
     * One row of gemv_f16_x8, gemv_q8_0_x16 or gemv_q4_0_x32, read chunk by chunk from the raw device bytes with the
     * kernels' own index arithmetic (not through the layout twin).
     */
    private float wideRowDot(GgmlType type, DevicePointer data, DevicePointer scales, long row, int cols, float[] x) {
        float sum = 0f;
        switch (type) {
            case F16 -> {
                long rowStart = row * cols * 2;
                for (int chunk = 0; chunk < cols / 8; chunk++) {
                    for (int k = 0; k < 8; k++) {
                        sum += halfAtByte(data, rowStart + chunk * 16L + 2L * k) * x[8 * chunk + k];
                    }
                }
            }
            case Q8_0 -> {
                long rowStart = row * cols;
                long rowScales = row * (cols / 32);
                for (int chunk = 0; chunk < cols / 16; chunk++) {
                    float partial = 0f;
                    for (int k = 0; k < 16; k++) {
                        partial += byteAt(data, rowStart + chunk * 16L + k) * x[16 * chunk + k];
                    }
                    sum += getHalf(scales, rowScales + (chunk >> 1)) * partial;
                }
            }
            case Q4_0 -> {
                long rowStart = row * (cols / 2);
                long rowScales = row * (cols / 32);
                for (int block = 0; block < cols / 32; block++) {
                    float partial = 0f;
                    for (int j = 0; j < 16; j++) {
                        int packed = byteAt(data, rowStart + block * 16L + j) & 0xFF;
                        partial += ((packed & 15) - 8) * x[32 * block + j]
                                + ((packed >> 4) - 8) * x[32 * block + 16 + j];
                    }
                    sum += getHalf(scales, rowScales + block) * partial;
                }
            }
            default -> throw new AssertionError("no wide gemv for " + type);
        }
        return sum;
    }

    private byte byteAt(DevicePointer pointer, long byteIndex) {
        return buffer(pointer, byteIndex + 1).get(Math.toIntExact(pointer.offset() + byteIndex));
    }

    private float halfAtByte(DevicePointer pointer, long byteIndex) {
        return Float.float16ToFloat(buffer(pointer, byteIndex + 2).getShort(Math.toIntExact(pointer.offset()
                + byteIndex)));
    }

    private void rmsNorm(Args a, Launch launch) {
        DevicePointer x = a.pointer(0);
        DevicePointer weight = a.pointer(1);
        int size = a.integer(2);
        float epsilon = a.real(3);
        DevicePointer out = a.pointer(4);
        require(launch.blockX() % 32 == 0 && launch.blockX() <= 1024, "rms_norm needs whole warps, at most 32");
        for (int row = 0; row < launch.gridX(); row++) {
            float sum = 0f;
            for (int i = 0; i < size; i++) {
                float value = getFloat(x, (long) row * size + i);
                sum += value * value;
            }
            float scale = 1.0f / (float) Math.sqrt(sum / size + epsilon);
            for (int i = 0; i < size; i++) {
                float value = getFloat(x, (long) row * size + i);
                putFloat(out, (long) row * size + i, getFloat(weight, i) * (scale * value));
            }
        }
    }

    private void rope(Args a, Launch launch) {
        DevicePointer vectors = a.pointer(0);
        int heads = a.integer(1);
        int headDimension = a.integer(2);
        int pairs = a.integer(3);
        DevicePointer cosines = a.pointer(4);
        DevicePointer sines = a.pointer(5);
        boolean halves = a.integer(6) != 0;
        for (int block = 0; block < launch.gridX(); block++) {
            int row = block / heads;
            long head = (long) block * headDimension;
            for (int i = 0; i < pairs; i++) {
                int first = halves ? i : 2 * i;
                int second = halves ? i + pairs : first + 1;
                float cosine = getFloat(cosines, (long) row * pairs + i);
                float sine = getFloat(sines, (long) row * pairs + i);
                float x = getFloat(vectors, head + first);
                float y = getFloat(vectors, head + second);
                putFloat(vectors, head + first, x * cosine - y * sine);
                putFloat(vectors, head + second, x * sine + y * cosine);
            }
        }
    }

    private void swiGlu(Args a, Launch launch) {
        int n = a.integer(2);
        coversElements(launch, n);
        for (int i = 0; i < n; i++) {
            float g = getFloat(a.pointer(0), i);
            putFloat(a.pointer(0), i, g / (1f + (float) Math.exp(-g)) * getFloat(a.pointer(1), i));
        }
    }

    private void add(Args a, Launch launch) {
        int n = a.integer(2);
        coversElements(launch, n);
        for (int i = 0; i < n; i++) {
            putFloat(a.pointer(0), i, getFloat(a.pointer(0), i) + getFloat(a.pointer(1), i));
        }
    }

    private void addBias(Args a, Launch launch) {
        int width = a.integer(2);
        int n = a.integer(3);
        coversElements(launch, n);
        for (int i = 0; i < n; i++) {
            putFloat(a.pointer(0), i, getFloat(a.pointer(0), i) + getFloat(a.pointer(1), i % width));
        }
    }

    private void kvAppend(Args a, Launch launch) {
        DevicePointer keys = a.pointer(0);
        DevicePointer values = a.pointer(1);
        int count = a.integer(2);
        int kvHeads = a.integer(3);
        int headDimension = a.integer(4);
        int capacity = a.integer(5);
        int position = a.integer(6);
        DevicePointer keyCache = a.pointer(7);
        DevicePointer valueCache = a.pointer(8);
        int width = kvHeads * headDimension;
        coversElements(launch, count * width);
        require(count <= capacity, "kv_append_f16 of more tokens than the ring's slots");
        for (int i = 0; i < count * width; i++) {
            int token = i / width;
            int head = (i % width) / headDimension;
            int d = i % headDimension;
            long target = ((long) head * capacity + (position + token) % capacity) * headDimension + d;
            putHalf(keyCache, target, getFloat(keys, i));
            putHalf(valueCache, target, getFloat(values, i));
        }
    }

    /** attention_rows_f16: four warps each stream every fourth token with an online softmax, then merge. */
    private void attentionRows(Args a, Launch launch) {
        DevicePointer queries = a.pointer(0);
        DevicePointer keyCache = a.pointer(1);
        DevicePointer valueCache = a.pointer(2);
        int queryHeads = a.integer(3);
        int kvHeads = a.integer(4);
        int headDimension = a.integer(5);
        int maxTokens = a.integer(6);
        int firstPosition = a.integer(7);
        float scale = a.real(8);
        DevicePointer out = a.pointer(9);
        int warps = launch.blockX() / 32;
        require(warps == 4, "attention_rows_f16 is written for 4 warps");
        require(firstPosition + launch.gridY() <= maxTokens, "attention_rows_f16 reads past the cache's slots");
        require(launch.gridX() == queryHeads, "one block column per query head");
        require(headDimension <= KernelLaunches.MAX_HEAD_DIMENSION, "head dimension over the kernel's arrays");
        for (int head = 0; head < queryHeads; head++) {
            int kvHead = head / (queryHeads / kvHeads);
            for (int row = 0; row < launch.gridY(); row++) {
                int last = firstPosition + row;
                long query = ((long) row * queryHeads + head) * headDimension;
                float[] m = new float[warps];
                float[] l = new float[warps];
                float[][] acc = new float[warps][headDimension];
                for (int w = 0; w < warps; w++) {
                    m[w] = Float.NEGATIVE_INFINITY;
                    for (int t = w; t <= last; t += warps) {
                        long key = ((long) kvHead * maxTokens + t) * headDimension;
                        float s = 0f;
                        for (int d = 0; d < headDimension; d++) {
                            s += getFloat(queries, query + d) * getHalf(keyCache, key + d);
                        }
                        s *= scale;
                        float newMax = Math.max(m[w], s);
                        float correction = (float) Math.exp(m[w] - newMax);
                        float p = (float) Math.exp(s - newMax);
                        l[w] = l[w] * correction + p;
                        for (int d = 0; d < headDimension; d++) {
                            acc[w][d] = acc[w][d] * correction + p * getHalf(valueCache, key + d);
                        }
                        m[w] = newMax;
                    }
                }
                float total = Float.NEGATIVE_INFINITY;
                for (int w = 0; w < warps; w++) {
                    total = Math.max(total, m[w]);
                }
                float sum = 0f;
                for (int w = 0; w < warps; w++) {
                    sum += m[w] == Float.NEGATIVE_INFINITY ? 0f : l[w] * (float) Math.exp(m[w] - total);
                }
                for (int d = 0; d < headDimension; d++) {
                    float value = 0f;
                    for (int w = 0; w < warps; w++) {
                        if (m[w] != Float.NEGATIVE_INFINITY) {
                            value += acc[w][d] * (float) Math.exp(m[w] - total);
                        }
                    }
                    putFloat(out, query + d, value / sum);
                }
            }
        }
    }

    /** attention_split_f16: per (head, row, split), the four-warp online softmax over the split's positions. */
    private void attentionSplit(Args a, Launch launch) {
        DevicePointer queries = a.pointer(0);
        DevicePointer keyCache = a.pointer(1);
        DevicePointer valueCache = a.pointer(2);
        int queryHeads = a.integer(3);
        int kvHeads = a.integer(4);
        int headDimension = a.integer(5);
        int maxTokens = a.integer(6);
        int firstPosition = a.integer(7);
        int tokensPerSplit = a.integer(8);
        float scale = a.real(9);
        DevicePointer partials = a.pointer(10);
        int warps = launch.blockX() / 32;
        int splits = launch.gridZ();
        require(warps == 4, "attention_split_f16 is written for 4 warps");
        require(firstPosition + launch.gridY() <= maxTokens, "attention_split_f16 reads past the cache's slots");
        require((long) splits * tokensPerSplit >= firstPosition + launch.gridY(), "the splits do not cover");
        for (int head = 0; head < queryHeads; head++) {
            int kvHead = head / (queryHeads / kvHeads);
            for (int row = 0; row < launch.gridY(); row++) {
                long query = ((long) row * queryHeads + head) * headDimension;
                for (int split = 0; split < splits; split++) {
                    int first = split * tokensPerSplit;
                    int last = Math.min(firstPosition + row, first + tokensPerSplit - 1);
                    float[] m = new float[warps];
                    float[] l = new float[warps];
                    float[][] acc = new float[warps][headDimension];
                    for (int w = 0; w < warps; w++) {
                        m[w] = Float.NEGATIVE_INFINITY;
                        for (int t = first + w; t <= last; t += warps) {
                            long key = ((long) kvHead * maxTokens + t) * headDimension;
                            float s = 0f;
                            for (int d = 0; d < headDimension; d++) {
                                s += getFloat(queries, query + d) * getHalf(keyCache, key + d);
                            }
                            s *= scale;
                            float newMax = Math.max(m[w], s);
                            float correction = (float) Math.exp(m[w] - newMax);
                            float p = (float) Math.exp(s - newMax);
                            l[w] = l[w] * correction + p;
                            for (int d = 0; d < headDimension; d++) {
                                acc[w][d] = acc[w][d] * correction + p * getHalf(valueCache, key + d);
                            }
                            m[w] = newMax;
                        }
                    }
                    float total = Float.NEGATIVE_INFINITY;
                    for (int w = 0; w < warps; w++) {
                        total = Math.max(total, m[w]);
                    }
                    long target = (((long) row * queryHeads + head) * splits + split) * (headDimension + 2);
                    float sum = 0f;
                    for (int w = 0; w < warps; w++) {
                        sum += m[w] == Float.NEGATIVE_INFINITY ? 0f : l[w] * (float) Math.exp(m[w] - total);
                    }
                    putFloat(partials, target, total);
                    putFloat(partials, target + 1, sum);
                    for (int d = 0; d < headDimension; d++) {
                        float value = 0f;
                        for (int w = 0; w < warps; w++) {
                            if (m[w] != Float.NEGATIVE_INFINITY) {
                                value += acc[w][d] * (float) Math.exp(m[w] - total);
                            }
                        }
                        putFloat(partials, target + 2 + d, value);
                    }
                }
            }
        }
    }

    /** attention_merge_f16: the splits' states rescaled to the largest maximum and summed. */
    private void attentionMerge(Args a, Launch launch) {
        DevicePointer partials = a.pointer(0);
        int queryHeads = a.integer(1);
        int headDimension = a.integer(2);
        int splits = a.integer(3);
        DevicePointer out = a.pointer(4);
        require(launch.gridX() == queryHeads, "one block column per query head");
        int stride = headDimension + 2;
        for (int head = 0; head < queryHeads; head++) {
            for (int row = 0; row < launch.gridY(); row++) {
                long states = ((long) row * queryHeads + head) * splits * stride;
                float total = Float.NEGATIVE_INFINITY;
                for (int s = 0; s < splits; s++) {
                    total = Math.max(total, getFloat(partials, states + (long) s * stride));
                }
                float sum = 0f;
                for (int s = 0; s < splits; s++) {
                    float m = getFloat(partials, states + (long) s * stride);
                    sum += m == Float.NEGATIVE_INFINITY ? 0f
                            : getFloat(partials, states + (long) s * stride + 1) * (float) Math.exp(m - total);
                }
                long target = ((long) row * queryHeads + head) * headDimension;
                for (int d = 0; d < headDimension; d++) {
                    float value = 0f;
                    for (int s = 0; s < splits; s++) {
                        float m = getFloat(partials, states + (long) s * stride);
                        if (m != Float.NEGATIVE_INFINITY) {
                            value += getFloat(partials, states + (long) s * stride + 2 + d)
                                    * (float) Math.exp(m - total);
                        }
                    }
                    putFloat(out, target + d, value / sum);
                }
            }
        }
    }

    /** attention_prefill_f16: 16 query rows per block, 32-token tiles, one online-softmax update per row and tile. */
    private void attentionPrefill(Args a, Launch launch) {
        DevicePointer queries = a.pointer(0);
        DevicePointer keyCache = a.pointer(1);
        DevicePointer valueCache = a.pointer(2);
        int queryHeads = a.integer(3);
        int kvHeads = a.integer(4);
        int headDimension = a.integer(5);
        int maxTokens = a.integer(6);
        int firstPosition = a.integer(7);
        int rows = a.integer(8);
        float scale = a.real(9);
        DevicePointer out = a.pointer(10);
        int tileQueries = KernelLaunches.TILE_QUERIES;
        int tileTokens = 32;
        require(launch.blockX() == 128, "attention_prefill_f16 is written for 4 warps of 4 rows");
        require(launch.gridX() == queryHeads && (long) launch.gridY() * tileQueries >= rows,
                "attention_prefill_f16 grid does not cover the rows");
        require(headDimension <= KernelLaunches.TILE_HEAD_DIMENSION, "head dimension over the shared tiles");
        require(firstPosition + rows <= maxTokens, "attention_prefill_f16 reads past the cache's slots");
        for (int head = 0; head < queryHeads; head++) {
            int kvHead = head / (queryHeads / kvHeads);
            for (int block = 0; block < launch.gridY(); block++) {
                int rowBase = block * tileQueries;
                int lastRow = Math.min(rowBase + tileQueries, rows) - 1;
                int lastToken = firstPosition + lastRow;
                float[] m = new float[tileQueries];
                float[] l = new float[tileQueries];
                float[][] acc = new float[tileQueries][headDimension];
                java.util.Arrays.fill(m, Float.NEGATIVE_INFINITY);
                for (int tileStart = 0; tileStart <= lastToken; tileStart += tileTokens) {
                    for (int local = 0; local < tileQueries; local++) {
                        int row = rowBase + local;
                        if (row >= rows) {
                            continue;
                        }
                        int position = firstPosition + row;
                        long query = ((long) row * queryHeads + head) * headDimension;
                        float[] s = new float[tileTokens];
                        float tileMax = Float.NEGATIVE_INFINITY;
                        for (int lane = 0; lane < tileTokens; lane++) {
                            int token = tileStart + lane;
                            s[lane] = Float.NEGATIVE_INFINITY;
                            if (token <= position) {
                                long key = ((long) kvHead * maxTokens + token) * headDimension;
                                float dot = 0f;
                                for (int d = 0; d < headDimension; d++) {
                                    dot += getFloat(queries, query + d) * getHalf(keyCache, key + d);
                                }
                                s[lane] = dot * scale;
                            }
                            tileMax = Math.max(tileMax, s[lane]);
                        }
                        if (tileMax == Float.NEGATIVE_INFINITY) {
                            continue;
                        }
                        float newMax = Math.max(m[local], tileMax);
                        float correction = (float) Math.exp(m[local] - newMax);
                        float[] p = new float[tileTokens];
                        float tileSum = 0f;
                        for (int lane = 0; lane < tileTokens; lane++) {
                            p[lane] = tileStart + lane <= position ? (float) Math.exp(s[lane] - newMax) : 0f;
                            tileSum += p[lane];
                        }
                        l[local] = l[local] * correction + tileSum;
                        for (int d = 0; d < headDimension; d++) {
                            acc[local][d] *= correction;
                        }
                        for (int j = 0; j < tileTokens; j++) {
                            int token = tileStart + j;
                            // The kernel loads absent tokens (past the block's last) as zeros; p is 0 for them.
                            float[] value = new float[headDimension];
                            if (token <= lastToken) {
                                long key = ((long) kvHead * maxTokens + token) * headDimension;
                                for (int d = 0; d < headDimension; d++) {
                                    value[d] = getHalf(valueCache, key + d);
                                }
                            }
                            for (int d = 0; d < headDimension; d++) {
                                acc[local][d] += p[j] * value[d];
                            }
                        }
                        m[local] = newMax;
                    }
                }
                for (int local = 0; local < tileQueries; local++) {
                    int row = rowBase + local;
                    if (row >= rows) {
                        continue;
                    }
                    long target = ((long) row * queryHeads + head) * headDimension;
                    for (int d = 0; d < headDimension; d++) {
                        putFloat(out, target + d, acc[local][d] / l[local]);
                    }
                }
            }
        }
    }

    // KIVI's packed store (kernels.cu, "KIVI's packed store in device memory").

    /** kv_window_move_f16: positions first.. of one ring copied to the slots of another capacity. */
    private void windowMove(Args a, Launch launch) {
        DevicePointer keys = a.pointer(0);
        DevicePointer values = a.pointer(1);
        int capacity = a.integer(2);
        DevicePointer newKeys = a.pointer(3);
        DevicePointer newValues = a.pointer(4);
        int newCapacity = a.integer(5);
        int kvHeads = a.integer(6);
        int headDimension = a.integer(7);
        int firstPosition = a.integer(8);
        int count = a.integer(9);
        int width = kvHeads * headDimension;
        coversElements(launch, count * width);
        require(count <= capacity && count <= newCapacity, "kv_window_move_f16 of more tokens than the slots");
        for (int i = 0; i < count * width; i++) {
            int position = firstPosition + i / width;
            int head = (i % width) / headDimension;
            int d = i % headDimension;
            long source = ((long) head * capacity + position % capacity) * headDimension + d;
            long target = ((long) head * newCapacity + position % newCapacity) * headDimension + d;
            putHalfBits(newKeys, target, getHalfBits(keys, source));
            putHalfBits(newValues, target, getHalfBits(values, source));
        }
    }

    /** kivi_pack_keys: per block of tokenGroup positions, fp16 (min, step) per channel, then the planar bytes. */
    private void kiviPackKeys(Args a, Launch launch) {
        DevicePointer window = a.pointer(0);
        int capacity = a.integer(1);
        int kvHeads = a.integer(2);
        int headDimension = a.integer(3);
        int firstPosition = a.integer(4);
        int tokenGroup = a.integer(5);
        int bits = a.integer(6);
        int rowBytes = a.integer(7);
        DevicePointer codes = a.pointer(8);
        DevicePointer minimums = a.pointer(9);
        DevicePointer steps = a.pointer(10);
        int width = kvHeads * headDimension;
        requirePlanar(bits, rowBytes, width);
        require(firstPosition % tokenGroup == 0, "kivi_pack_keys starts at a block boundary");
        float maxCode = (1 << bits) - 1;
        for (int block = 0; block < launch.gridX(); block++) {
            int first = firstPosition + block * tokenGroup;
            long parameters = (long) (first / tokenGroup) * width;
            for (int c = 0; c < width; c++) {
                float low = Float.POSITIVE_INFINITY;
                float high = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < tokenGroup; t++) {
                    float x = windowAt(window, capacity, headDimension, first + t, c);
                    low = Math.min(low, x);
                    high = Math.max(high, x);
                }
                putHalf(minimums, parameters + c, low);
                putHalf(steps, parameters + c, (high - low) / maxCode);
            }
            for (int t = 0; t < tokenGroup; t++) {
                packRow(window, capacity, headDimension, width, first + t, bits, rowBytes, minimums, steps,
                        c -> parameters + c, codes);
            }
        }
    }

    /** kivi_pack_values: per position, fp16 (min, step) per run of valueRun channels, then the planar bytes. */
    private void kiviPackValues(Args a, Launch launch) {
        DevicePointer window = a.pointer(0);
        int capacity = a.integer(1);
        int kvHeads = a.integer(2);
        int headDimension = a.integer(3);
        int firstPosition = a.integer(4);
        int valueRun = a.integer(5);
        int bits = a.integer(6);
        int rowBytes = a.integer(7);
        DevicePointer codes = a.pointer(8);
        DevicePointer minimums = a.pointer(9);
        DevicePointer steps = a.pointer(10);
        int width = kvHeads * headDimension;
        requirePlanar(bits, rowBytes, width);
        int runs = Math.ceilDiv(width, valueRun);
        float maxCode = (1 << bits) - 1;
        for (int block = 0; block < launch.gridX(); block++) {
            int position = firstPosition + block;
            long parameters = (long) position * runs;
            for (int run = 0; run < runs; run++) {
                float low = Float.POSITIVE_INFINITY;
                float high = Float.NEGATIVE_INFINITY;
                for (int c = run * valueRun; c < Math.min(width, (run + 1) * valueRun); c++) {
                    float x = windowAt(window, capacity, headDimension, position, c);
                    low = Math.min(low, x);
                    high = Math.max(high, x);
                }
                putHalf(minimums, parameters + run, low);
                putHalf(steps, parameters + run, (high - low) / maxCode);
            }
            packRow(window, capacity, headDimension, width, position, bits, rowBytes, minimums, steps,
                    c -> parameters + c / valueRun, codes);
        }
    }

    private static void requirePlanar(int bits, int rowBytes, int width) {
        require(bits == 2 || bits == 4 || bits == 8, "the kivi kernels pack 2, 4 or 8 bits, not " + bits);
        require(rowBytes == Math.ceilDiv(width * bits, 8), "rowBytes is not ceil(width · bits / 8)");
    }

    /** pack_row: byte i of the row gathers the codes of channels i, i + rowBytes, ... (CodePacking's planes). */
    private void packRow(DevicePointer window, int capacity, int headDimension, int width, int position, int bits,
                         int rowBytes, DevicePointer minimums, DevicePointer steps,
                         java.util.function.IntToLongFunction parameterOf, DevicePointer codes) {
        float maxCode = (1 << bits) - 1;
        for (int b = 0; b < rowBytes; b++) {
            int packed = 0;
            for (int plane = 0; plane < 8 / bits; plane++) {
                int c = plane * rowBytes + b;
                if (c < width) {
                    long parameter = parameterOf.applyAsLong(c);
                    float x = windowAt(window, capacity, headDimension, position, c);
                    packed |= quantizeCode(x, getHalf(minimums, parameter), getHalf(steps, parameter), maxCode)
                            << (plane * bits);
                }
            }
            putByte(codes, (long) position * rowBytes + b, (byte) packed);
        }
    }

    /** quantize_code: rint((x − min) / step) clamped to the codes, 0 for a zero step. */
    private static int quantizeCode(float x, float minimum, float step, float maxCode) {
        if (step == 0f) {
            return 0;
        }
        return (int) Math.min(Math.max((float) Math.rint((x - minimum) / step), 0f), maxCode);
    }

    private int codeAt(DevicePointer codes, long row, int rowBytes, int bits, int column) {
        int plane = column / rowBytes;
        return (Byte.toUnsignedInt(getByte(codes, row * rowBytes + column - (long) plane * rowBytes))
                >>> (plane * bits)) & ((1 << bits) - 1);
    }

    private float windowAt(DevicePointer window, int capacity, int headDimension, int position, int c) {
        int head = c / headDimension;
        return getHalf(window, ((long) head * capacity + position % capacity) * headDimension + c % headDimension);
    }

    /** Where attention_over_store's STORE takes token t's key and value from (kernels.cu's KiviStore, ZipStore). */
    private interface StoreTwin {
        float key(int t, int c);

        float value(int t, int c);
    }

    /**
     * attention_rows_kivi and attention_split_kivi: KIVI's store, position t's key and value dequantized from its
     * packed row below quantizedKeys / quantizedValues and read from the ring otherwise.
     */
    private void attentionKivi(Args a, Launch launch, boolean split) {
        DevicePointer queries = a.pointer(0);
        DevicePointer keyWindow = a.pointer(1);
        DevicePointer valueWindow = a.pointer(2);
        int capacity = a.integer(3);
        DevicePointer keyCodes = a.pointer(4);
        DevicePointer keyMinimums = a.pointer(5);
        DevicePointer keySteps = a.pointer(6);
        DevicePointer valueCodes = a.pointer(7);
        DevicePointer valueMinimums = a.pointer(8);
        DevicePointer valueSteps = a.pointer(9);
        int queryHeads = a.integer(10);
        int kvHeads = a.integer(11);
        int headDimension = a.integer(12);
        int bits = a.integer(13);
        int rowBytes = a.integer(14);
        int tokenGroup = a.integer(15);
        int valueRun = a.integer(16);
        int quantizedKeys = a.integer(17);
        int quantizedValues = a.integer(18);
        int firstPosition = a.integer(19);
        int tokensPerSplit = split ? a.integer(20) : 0;
        float scale = a.real(split ? 21 : 20);
        DevicePointer out = a.pointer(split ? 22 : 21);
        int width = kvHeads * headDimension;
        int runs = Math.ceilDiv(width, valueRun);
        requirePlanar(bits, rowBytes, width);
        int oldest = Math.min(quantizedKeys, quantizedValues);
        StoreTwin store = new StoreTwin() {
            @Override
            public float key(int t, int c) {
                requireHeld(t, oldest, capacity);
                if (t >= quantizedKeys) {
                    return windowAt(keyWindow, capacity, headDimension, t, c);
                }
                long parameter = (long) (t / tokenGroup) * width + c;
                return codeAt(keyCodes, t, rowBytes, bits, c) * getHalf(keySteps, parameter)
                        + getHalf(keyMinimums, parameter);
            }

            @Override
            public float value(int t, int c) {
                if (t >= quantizedValues) {
                    return windowAt(valueWindow, capacity, headDimension, t, c);
                }
                long parameter = (long) t * runs + c / valueRun;
                return codeAt(valueCodes, t, rowBytes, bits, c) * getHalf(valueSteps, parameter)
                        + getHalf(valueMinimums, parameter);
            }
        };
        attentionOverStore(launch, split, queries, store, queryHeads, kvHeads, headDimension, firstPosition,
                tokensPerSplit, scale, out);
    }

    /** The ring must still hold every uncompressed position it is asked for. */
    private static void requireHeld(int t, int oldest, int capacity) {
        require(t < oldest || t - oldest < capacity, "the window lost position " + t);
    }

    /**
     * attention_over_store: attention_rows_f16's four-warp online softmax over a store's keys and values; the split
     * form writes attention_split_f16's partial states.
     */
    private void attentionOverStore(Launch launch, boolean split, DevicePointer queries, StoreTwin store,
                                    int queryHeads, int kvHeads, int headDimension, int firstPosition,
                                    int tokensPerSplit, float scale, DevicePointer out) {
        int warps = launch.blockX() / 32;
        int splits = launch.gridZ();
        require(warps == 4, launch.kernel() + " is written for 4 warps");
        require(launch.gridX() == queryHeads, "one block column per query head");
        require(headDimension <= KernelLaunches.MAX_HEAD_DIMENSION, "head dimension over the kernel's arrays");
        require(split ? (long) splits * tokensPerSplit >= firstPosition + launch.gridY() : splits == 1,
                "the splits do not cover");
        for (int head = 0; head < queryHeads; head++) {
            int kvHead = head / (queryHeads / kvHeads);
            for (int row = 0; row < launch.gridY(); row++) {
                long query = ((long) row * queryHeads + head) * headDimension;
                for (int s = 0; s < splits; s++) {
                    int first = split ? s * tokensPerSplit : 0;
                    int last = split ? Math.min(firstPosition + row, first + tokensPerSplit - 1) : firstPosition + row;
                    float[] m = new float[warps];
                    float[] l = new float[warps];
                    float[][] acc = new float[warps][headDimension];
                    for (int w = 0; w < warps; w++) {
                        m[w] = Float.NEGATIVE_INFINITY;
                        for (int t = first + w; t <= last; t += warps) {
                            float score = 0f;
                            for (int d = 0; d < headDimension; d++) {
                                score += getFloat(queries, query + d) * store.key(t, kvHead * headDimension + d);
                            }
                            score *= scale;
                            float newMax = Math.max(m[w], score);
                            float correction = (float) Math.exp(m[w] - newMax);
                            float p = (float) Math.exp(score - newMax);
                            l[w] = l[w] * correction + p;
                            for (int d = 0; d < headDimension; d++) {
                                acc[w][d] = acc[w][d] * correction + p * store.value(t, kvHead * headDimension + d);
                            }
                            m[w] = newMax;
                        }
                    }
                    float total = Float.NEGATIVE_INFINITY;
                    for (int w = 0; w < warps; w++) {
                        total = Math.max(total, m[w]);
                    }
                    float sum = 0f;
                    for (int w = 0; w < warps; w++) {
                        sum += m[w] == Float.NEGATIVE_INFINITY ? 0f : l[w] * (float) Math.exp(m[w] - total);
                    }
                    long target = split ? (((long) row * queryHeads + head) * splits + s) * (headDimension + 2)
                            : query;
                    if (split) {
                        putFloat(out, target, total);
                        putFloat(out, target + 1, sum);
                    }
                    for (int d = 0; d < headDimension; d++) {
                        float value = 0f;
                        for (int w = 0; w < warps; w++) {
                            if (m[w] != Float.NEGATIVE_INFINITY) {
                                value += acc[w][d] * (float) Math.exp(m[w] - total);
                            }
                        }
                        if (split) {
                            putFloat(out, target + 2 + d, value);
                        } else {
                            putFloat(out, target + d, value / sum);
                        }
                    }
                }
            }
        }
    }

    // ZipCache's store (kernels.cu, "ZipCache's mixed-precision store in device memory").

    /** The ZIP_STORE_PARAMETERS from argument {@code from} on, and the geometry they carry. */
    private final class ZipArgs implements StoreTwin {
        final DevicePointer keyWindow;
        final DevicePointer valueWindow;
        final int capacity;
        final DevicePointer[] groups = new DevicePointer[12];
        final DevicePointer channelScales;
        final int queryHeads;
        final int kvHeads;
        final int headDimension;
        final int highBits;
        final int lowBits;
        final int salientRows;
        final int storedTokens;
        /** Index of the first argument after the store's. */
        final int next;

        ZipArgs(Args a, int from) {
            keyWindow = a.pointer(from);
            valueWindow = a.pointer(from + 1);
            capacity = a.integer(from + 2);
            for (int i = 0; i < 12; i++) {
                groups[i] = a.pointer(from + 3 + i);
            }
            channelScales = a.pointer(from + 15);
            queryHeads = a.integer(from + 16);
            kvHeads = a.integer(from + 17);
            headDimension = a.integer(from + 18);
            highBits = a.integer(from + 19);
            lowBits = a.integer(from + 20);
            salientRows = a.integer(from + 21);
            storedTokens = a.integer(from + 22);
            next = from + 23;
            requirePlanar(highBits, rowBytes(highBits), width());
            requirePlanar(lowBits, rowBytes(lowBits), width());
            require(salientRows <= storedTokens, "more salient rows than stored tokens");
        }

        int width() {
            return kvHeads * headDimension;
        }

        int rowBytes(int bits) {
            return Math.ceilDiv(width() * bits, 8);
        }

        /** Group g (0 salient keys, 1 regular keys, 2 salient values, 3 regular values): codes, minimums, steps. */
        DevicePointer codes(int g) {
            return groups[3 * g];
        }

        DevicePointer minimums(int g) {
            return groups[3 * g + 1];
        }

        DevicePointer steps(int g) {
            return groups[3 * g + 2];
        }

        @Override
        public float key(int t, int c) {
            requireHeld(t, storedTokens, capacity);
            if (t >= storedTokens) {
                return windowAt(keyWindow, capacity, headDimension, t, c);
            }
            boolean salient = t < salientRows;
            int g = salient ? 0 : 1;
            int bits = salient ? highBits : lowBits;
            int row = salient ? t : t - salientRows;
            return codeAt(codes(g), row, rowBytes(bits), bits, c) * getHalf(steps(g), c) + getHalf(minimums(g), c);
        }

        @Override
        public float value(int t, int c) {
            if (t >= storedTokens) {
                return windowAt(valueWindow, capacity, headDimension, t, c);
            }
            boolean salient = t < salientRows;
            int g = salient ? 2 : 3;
            int bits = salient ? highBits : lowBits;
            int row = salient ? t : t - salientRows;
            float x = codeAt(codes(g), row, rowBytes(bits), bits, c) * getHalf(steps(g), row)
                    + getHalf(minimums(g), row);
            return x * getHalf(channelScales, c);
        }

        /** probe_score: probe {@code probe}'s query head {@code head} against view index t, unscaled. */
        float probeScore(DevicePointer probeQueries, int probe, int head, int t) {
            int kvHead = head / (queryHeads / kvHeads);
            long query = ((long) probe * queryHeads + head) * headDimension;
            float s = 0f;
            for (int d = 0; d < headDimension; d++) {
                s += getFloat(probeQueries, query + d) * key(t, kvHead * headDimension + d);
            }
            return s;
        }
    }

    /** attention_rows_zip and attention_split_zip: attention_over_store over ZipStore. */
    private void attentionZip(Args a, Launch launch, boolean split) {
        ZipArgs store = new ZipArgs(a, 1);
        int i = store.next;
        int firstPosition = a.integer(i);
        int tokensPerSplit = split ? a.integer(i + 1) : 0;
        float scale = a.real(split ? i + 2 : i + 1);
        DevicePointer out = a.pointer(split ? i + 3 : i + 2);
        attentionOverStore(launch, split, a.pointer(0), store, store.queryHeads, store.kvHeads, store.headDimension,
                firstPosition, tokensPerSplit, scale, out);
    }

    /** zip_keep_probe_queries: the probe rows inside this batch get their query rows copied. */
    private void keepProbeQueries(Args a, Launch launch) {
        DevicePointer queries = a.pointer(0);
        int rows = a.integer(1);
        int firstPosition = a.integer(2);
        int queryWidth = a.integer(3);
        DevicePointer probeRows = a.pointer(4);
        int probes = a.integer(5);
        DevicePointer probeQueries = a.pointer(6);
        coversElements(launch, probes * queryWidth);
        for (int i = 0; i < probes * queryWidth; i++) {
            int row = getInt(probeRows, i / queryWidth) - firstPosition;
            if (row >= 0 && row < rows) {
                putFloat(probeQueries, i, getFloat(queries, (long) row * queryWidth + i % queryWidth));
            }
        }
    }

    /** zip_probe_softmax: per probe and query head, the maximum score and Σ exp(scale·s − scale·max). */
    private void probeSoftmax(Args a, Launch launch) {
        DevicePointer probeQueries = a.pointer(0);
        DevicePointer probeRows = a.pointer(1);
        ZipArgs store = new ZipArgs(a, 2);
        float scale = a.real(store.next);
        DevicePointer stats = a.pointer(store.next + 1);
        require(launch.gridX() == store.queryHeads && launch.blockX() == 128, "zip_probe_softmax grid");
        for (int probe = 0; probe < launch.gridY(); probe++) {
            int last = getInt(probeRows, probe);
            for (int head = 0; head < store.queryHeads; head++) {
                float high = Float.NEGATIVE_INFINITY;
                for (int t = 0; t <= last; t++) {
                    high = Math.max(high, store.probeScore(probeQueries, probe, head, t));
                }
                float shift = scale * high;
                float sum = 0f;
                for (int t = 0; t <= last; t++) {
                    sum += (float) Math.exp(store.probeScore(probeQueries, probe, head, t) * scale - shift);
                }
                putFloat(stats, ((long) probe * store.queryHeads + head) * 2, high);
                putFloat(stats, ((long) probe * store.queryHeads + head) * 2 + 1, sum);
            }
        }
    }

    /** zip_probe_scores: per (KV head, position), the probes' group-summed probabilities in a double, normalized. */
    private void probeScores(Args a, Launch launch) {
        DevicePointer probeQueries = a.pointer(0);
        DevicePointer probeRows = a.pointer(1);
        int probes = a.integer(2);
        DevicePointer stats = a.pointer(3);
        ZipArgs store = new ZipArgs(a, 4);
        int i = store.next;
        int firstToken = a.integer(i);
        int length = a.integer(i + 1);
        int normalization = a.integer(i + 2);
        float scale = a.real(i + 3);
        DevicePointer scores = a.pointer(i + 4);
        require(launch.gridX() == store.kvHeads, "one block column per KV head");
        require((long) launch.gridY() * launch.blockX() >= length - firstToken, "zip_probe_scores grid does not cover");
        int group = store.queryHeads / store.kvHeads;
        for (int kvHead = 0; kvHead < store.kvHeads; kvHead++) {
            for (int position = firstToken; position < length; position++) {
                double sum = 0;
                int observers = 0;
                for (int probe = 0; probe < probes; probe++) {
                    if (getInt(probeRows, probe) < position) {
                        continue;
                    }
                    float summed = 0f;
                    for (int member = 0; member < group; member++) {
                        int head = kvHead * group + member;
                        long stat = ((long) probe * store.queryHeads + head) * 2;
                        float weight = (float) Math.exp(store.probeScore(probeQueries, probe, head, position) * scale
                                - scale * getFloat(stats, stat));
                        summed += weight * (1f / getFloat(stats, stat + 1));
                    }
                    sum += summed;
                    observers++;
                }
                double divisor = switch (normalization) {
                    case 1 -> length - position;
                    case 2 -> Math.max(1, observers);
                    case 0 -> 1;
                    default -> throw new AssertionError("unknown normalization " + normalization);
                };
                putFloat(scores, (long) kvHead * (length - firstToken) + position - firstToken, (float) (sum / divisor));
            }
        }
    }

    /** zip_gather: both groups' staging rows, old rows dequantized, new ones gathered from the ring by index. */
    private void zipGather(Args a, Launch launch) {
        DevicePointer window = a.pointer(0);
        int capacity = a.integer(1);
        int kvHeads = a.integer(2);
        int headDimension = a.integer(3);
        int firstBufferPosition = a.integer(4);
        DevicePointer[] codes = {a.pointer(5), a.pointer(8)};
        DevicePointer[] minimums = {a.pointer(6), a.pointer(9)};
        DevicePointer[] steps = {a.pointer(7), a.pointer(10)};
        DevicePointer channelScales = a.pointer(11);
        int[] bits = {a.integer(12), a.integer(13)};
        int oldSalient = a.integer(14);
        int newSalient = a.integer(15);
        int oldRegular = a.integer(16);
        int newRegular = a.integer(17);
        boolean values = a.integer(18) != 0;
        DevicePointer indices = a.pointer(19);
        DevicePointer staging = a.pointer(20);
        int width = kvHeads * headDimension;
        int salient = oldSalient + newSalient;
        require(launch.gridX() == salient + oldRegular + newRegular, "zip_gather: one block per row");
        for (int row = 0; row < launch.gridX(); row++) {
            int g = row < salient ? 0 : 1;
            int groupRow = g == 0 ? row : row - salient;
            int oldRows = g == 0 ? oldSalient : oldRegular;
            int rowBytes = Math.ceilDiv(width * bits[g], 8);
            int newRow = g == 0 ? groupRow - oldSalient : newSalient + groupRow - oldRegular;
            for (int c = 0; c < width; c++) {
                float x;
                if (groupRow < oldRows) {
                    int parameter = values ? groupRow : c;
                    x = codeAt(codes[g], groupRow, rowBytes, bits[g], c) * getHalf(steps[g], parameter)
                            + getHalf(minimums[g], parameter);
                    if (values) {
                        x *= getHalf(channelScales, c);
                    }
                } else {
                    int token = getInt(indices, (long) newRow * kvHeads + c / headDimension);
                    require(token >= 0 && token < capacity, "zip_gather: buffer index " + token + " outside the ring");
                    x = windowAt(window, capacity, headDimension, firstBufferPosition + token, c);
                }
                putFloat(staging, (long) row * width + c, x);
            }
        }
    }

    /** zip_fit_channels: per channel, fp16 min and (max − min) / (2^bits − 1) over the rows. */
    private void zipFitChannels(Args a, Launch launch) {
        DevicePointer rows = a.pointer(0);
        int width = a.integer(1);
        int count = a.integer(2);
        int bits = a.integer(3);
        DevicePointer minimums = a.pointer(4);
        DevicePointer steps = a.pointer(5);
        coversElements(launch, width);
        for (int c = 0; c < width; c++) {
            float low = Float.POSITIVE_INFINITY;
            float high = Float.NEGATIVE_INFINITY;
            for (int row = 0; row < count; row++) {
                float x = getFloat(rows, (long) row * width + c);
                low = Math.min(low, x);
                high = Math.max(high, x);
            }
            putHalf(minimums, c, low);
            putHalf(steps, c, (high - low) / ((1 << bits) - 1));
        }
    }

    /** zip_channel_scales: sqrt(max |x|) per channel, rounded to fp16, 0 stored as 1. */
    private void zipChannelScales(Args a, Launch launch) {
        DevicePointer rows = a.pointer(0);
        int width = a.integer(1);
        int count = a.integer(2);
        DevicePointer channelScales = a.pointer(3);
        coversElements(launch, width);
        for (int c = 0; c < width; c++) {
            float largest = 0f;
            for (int row = 0; row < count; row++) {
                largest = Math.max(largest, Math.abs(getFloat(rows, (long) row * width + c)));
            }
            short scale = Float.floatToFloat16((float) Math.sqrt(largest));
            putHalfBits(channelScales, c, Float.float16ToFloat(scale) == 0f ? Float.floatToFloat16(1f) : scale);
        }
    }

    /** zip_fit_rows: per row, fp16 min and step over the channels divided by their scales. */
    private void zipFitRows(Args a, Launch launch) {
        DevicePointer rows = a.pointer(0);
        int width = a.integer(1);
        int bits = a.integer(2);
        DevicePointer channelScales = a.pointer(3);
        DevicePointer minimums = a.pointer(4);
        DevicePointer steps = a.pointer(5);
        for (int row = 0; row < launch.gridX(); row++) {
            float low = Float.POSITIVE_INFINITY;
            float high = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < width; c++) {
                float scaled = getFloat(rows, (long) row * width + c) / getHalf(channelScales, c);
                low = Math.min(low, scaled);
                high = Math.max(high, scaled);
            }
            putHalf(minimums, row, low);
            putHalf(steps, row, (high - low) / ((1 << bits) - 1));
        }
    }

    /** zip_pack_rows: pack_row over staging rows, per-channel or per-row (scaled) parameters. */
    private void zipPackRows(Args a, Launch launch) {
        DevicePointer rows = a.pointer(0);
        int width = a.integer(1);
        int bits = a.integer(2);
        boolean perRow = a.integer(3) != 0;
        DevicePointer channelScales = a.pointer(4);
        DevicePointer minimums = a.pointer(5);
        DevicePointer steps = a.pointer(6);
        DevicePointer codes = a.pointer(7);
        int rowBytes = Math.ceilDiv(width * bits, 8);
        requirePlanar(bits, rowBytes, width);
        float maxCode = (1 << bits) - 1;
        for (int row = 0; row < launch.gridX(); row++) {
            for (int b = 0; b < rowBytes; b++) {
                int packed = 0;
                for (int plane = 0; plane < 8 / bits; plane++) {
                    int c = plane * rowBytes + b;
                    if (c < width) {
                        int parameter = perRow ? row : c;
                        float x = getFloat(rows, (long) row * width + c);
                        if (perRow) {
                            x /= getHalf(channelScales, c);
                        }
                        packed |= quantizeCode(x, getHalf(minimums, parameter), getHalf(steps, parameter), maxCode)
                                << (plane * bits);
                    }
                }
                putByte(codes, (long) row * rowBytes + b, (byte) packed);
            }
        }
    }

    private static void coversElements(Launch launch, int n) {
        require((long) launch.gridX() * launch.blockX() >= n, launch.kernel() + " grid does not cover " + n);
    }

    // ---------------------------------------------------------------------------------------------------------
    // Typed access with bounds checks.

    private float weight(GgmlType type, DevicePointer data, DevicePointer scales, long row, int col, int cols) {
        ByteBuffer dataBuffer = buffer(data, 0);
        ByteBuffer scaleBuffer = scales.allocation() == 0 ? null : buffer(scales, 0);
        return DeviceLayoutTwin.weightAt(type, dataBuffer, data.offset(), scaleBuffer,
                scales.offset(), row, col, cols);
    }

    private float getFloat(DevicePointer pointer, long index) {
        return buffer(pointer, (index + 1) * 4).getFloat(Math.toIntExact(pointer.offset() + index * 4));
    }

    private void putFloat(DevicePointer pointer, long index, float value) {
        buffer(pointer, (index + 1) * 4).putFloat(Math.toIntExact(pointer.offset() + index * 4), value);
    }

    private int getInt(DevicePointer pointer, long index) {
        return buffer(pointer, (index + 1) * 4).getInt(Math.toIntExact(pointer.offset() + index * 4));
    }

    private float getHalf(DevicePointer pointer, long index) {
        return Float.float16ToFloat(buffer(pointer, (index + 1) * 2).getShort(
                Math.toIntExact(pointer.offset() + index * 2)));
    }

    private void putHalf(DevicePointer pointer, long index, float value) {
        buffer(pointer, (index + 1) * 2).putShort(Math.toIntExact(pointer.offset() + index * 2),
                Float.floatToFloat16(value));
    }

    private short getHalfBits(DevicePointer pointer, long index) {
        return buffer(pointer, (index + 1) * 2).getShort(Math.toIntExact(pointer.offset() + index * 2));
    }

    private void putHalfBits(DevicePointer pointer, long index, short bits) {
        buffer(pointer, (index + 1) * 2).putShort(Math.toIntExact(pointer.offset() + index * 2), bits);
    }

    private void putByte(DevicePointer pointer, long index, byte value) {
        buffer(pointer, index + 1).put(Math.toIntExact(pointer.offset() + index), value);
    }

    private byte getByte(DevicePointer pointer, long index) {
        return buffer(pointer, index + 1).get(Math.toIntExact(pointer.offset() + index));
    }

    /** {@code count} bytes from {@code pointer} (tests read packed codes back; the Device interface copies floats). */
    byte[] bytes(DevicePointer pointer, int count) {
        byte[] bytes = new byte[count];
        for (int i = 0; i < count; i++) {
            bytes[i] = getByte(pointer, i);
        }
        return bytes;
    }

    /** {@code count} fp16 values from {@code pointer}, as their bits. */
    short[] halves(DevicePointer pointer, int count) {
        short[] halves = new short[count];
        for (int i = 0; i < count; i++) {
            halves[i] = getHalfBits(pointer, i);
        }
        return halves;
    }

    /** Positional access to a launch's arguments by their kernel types. */
    private record Args(List<KernelArgument> arguments) {
        DevicePointer pointer(int index) {
            return ((KernelArgument.Address) arguments.get(index)).pointer();
        }

        int integer(int index) {
            return ((KernelArgument.Int) arguments.get(index)).value();
        }

        float real(int index) {
            return ((KernelArgument.Float) arguments.get(index)).value();
        }
    }
}
