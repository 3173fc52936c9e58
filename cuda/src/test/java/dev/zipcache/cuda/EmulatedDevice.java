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
        int maxTokens = a.integer(5);
        int position = a.integer(6);
        DevicePointer keyCache = a.pointer(7);
        DevicePointer valueCache = a.pointer(8);
        int width = kvHeads * headDimension;
        coversElements(launch, count * width);
        require(position + count <= maxTokens, "kv_append_f16 past the cache's tokens");
        for (int i = 0; i < count * width; i++) {
            int token = i / width;
            int head = (i % width) / headDimension;
            int d = i % headDimension;
            long target = ((long) head * maxTokens + position + token) * headDimension + d;
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
