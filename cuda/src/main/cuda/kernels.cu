// The zipcache forward pass on an NVIDIA GPU. Compiled to PTX by nvcc (cuda/pom.xml, profile "nvcc"); the PTX is
// committed under src/main/resources/dev/zipcache/cuda/kernels.ptx and loaded with cuModuleLoadData, so neither
// NVRTC nor the CUDA runtime is needed at run time.
//
// Conventions (mirrored by dev.zipcache.cuda.KernelLaunches, which is the only caller):
//  - every kernel is extern "C", so its PTX entry name is the C name;
//  - activations are row-major float arrays: a batch row b of width n starts at b * n;
//  - a weight matrix has rows × cols elements in its GGUF type, repacked on upload (WeightPacking.java):
//      F32   data: float[rows * cols]
//      F16   data: IEEE half[rows * cols]
//      BF16  data: bfloat16[rows * cols]
//      Q8_0  data: int8 quants[rows * cols];  scales: half[rows * cols / 32]
//      Q4_0  data: uint8 nibbles[rows * cols / 2], each 32-element block's 16 bytes in GGUF order (byte j holds
//            element j in its low and element j + 16 in its high nibble);  scales: half[rows * cols / 32]
//    so that the quants of consecutive columns are consecutive bytes (coalesced) and the block scales aligned;
//  - the fp16 KV cache of one layer is half[kvHeads][maxTokens][headDimension] for keys and the same for values;
//  - KIVI's packed store (kivi_* kernels) is described at those kernels.

#include <cuda_fp16.h>

#define TYPE_F32 0
#define TYPE_F16 1
#define TYPE_BF16 2
#define TYPE_Q8_0 3
#define TYPE_Q4_0 4

__device__ __forceinline__ float half_bits_to_float(unsigned short bits) {
    return __half2float(__ushort_as_half(bits));
}

// Element (row, col) of a repacked weight matrix, as a float: the definition of each type (FORMATS.md §2).
template <int TYPE>
__device__ __forceinline__ float weight_at(const void* data, const unsigned short* scales, long row, int col,
                                           int cols) {
    long index = row * cols + col;
    if (TYPE == TYPE_F32) {
        return ((const float*) data)[index];
    } else if (TYPE == TYPE_F16) {
        return half_bits_to_float(((const unsigned short*) data)[index]);
    } else if (TYPE == TYPE_BF16) {
        return __uint_as_float(((unsigned int) ((const unsigned short*) data)[index]) << 16);
    } else if (TYPE == TYPE_Q8_0) {
        float scale = half_bits_to_float(scales[index >> 5]);
        return scale * (float) ((const signed char*) data)[index];
    } else {
        float scale = half_bits_to_float(scales[index >> 5]);
        int within = (int) (index & 31);
        unsigned int packed = ((const unsigned char*) data)[(index >> 5) * 16 + (within & 15)];
        int q = within < 16 ? (int) (packed & 15) : (int) (packed >> 4);
        return scale * (float) (q - 8);
    }
}

__device__ __forceinline__ float warp_sum(float value) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        value += __shfl_xor_sync(0xffffffffu, value, offset);
    }
    return value;
}

__device__ __forceinline__ float warp_max(float value) {
    for (int offset = 16; offset > 0; offset >>= 1) {
        value = fmaxf(value, __shfl_xor_sync(0xffffffffu, value, offset));
    }
    return value;
}

// ---------------------------------------------------------------------------------------------------------------
// Embedding: out[b, :] = row tokens[b] of the table. Grid (count), block 256.

template <int TYPE>
__device__ void embed(const void* data, const unsigned short* scales, int cols, const int* tokens, float* out) {
    int b = blockIdx.x;
    long row = tokens[b];
    for (int col = threadIdx.x; col < cols; col += blockDim.x) {
        out[(long) b * cols + col] = weight_at<TYPE>(data, scales, row, col, cols);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Matrix-vector products for decode: out[b, r] = Σ_c W[r, c] · in[b, c]. One warp per output row, four consecutive
// columns per lane and step, so a warp reads 128 consecutive elements of the row at a time. Grid (ceil(rows / 8),
// batch), block 256 (8 warps).

template <int TYPE>
__device__ void gemv(const void* data, const unsigned short* scales, int rows, int cols, const float* in,
                     float* out) {
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    long row = (long) blockIdx.x * (blockDim.x >> 5) + warp;
    if (row >= rows) {
        return;
    }
    const float* x = in + (long) blockIdx.y * cols;
    float sum = 0.f;
    int quads = cols >> 2;
    for (int quad = lane; quad < quads; quad += 32) {
        int col = quad << 2;
        // Scalar loads: a batch row's start need not be 16-byte aligned when cols is not a multiple of 4.
        sum += weight_at<TYPE>(data, scales, row, col, cols) * x[col];
        sum += weight_at<TYPE>(data, scales, row, col + 1, cols) * x[col + 1];
        sum += weight_at<TYPE>(data, scales, row, col + 2, cols) * x[col + 2];
        sum += weight_at<TYPE>(data, scales, row, col + 3, cols) * x[col + 3];
    }
    for (int col = (quads << 2) + lane; col < cols; col += 32) {
        sum += weight_at<TYPE>(data, scales, row, col, cols) * x[col];
    }
    sum = warp_sum(sum);
    if (lane == 0) {
        out[(long) blockIdx.y * rows + row] = sum;
    }
}

// Wide-load variants of gemv for the common types, where a row is a whole number of 16-byte chunks: each lane loads
// 16 bytes of weights per step (8 halves, 16 int8 quants, or a whole 32-element Q4_0 block) and the matching floats
// as float4s, so that a warp streams 512 contiguous bytes of the row per load. The host takes them when the row
// length allows (F16: a multiple of 8; Q8_0 and Q4_0 always) and the input rows are 16-byte aligned. Same grid and
// arguments as gemv.

extern "C" __global__ void gemv_f16_x8(const void* data, const unsigned short* scales, int rows, int cols,
                                       const float* in, float* out) {
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    long row = (long) blockIdx.x * (blockDim.x >> 5) + warp;
    if (row >= rows) {
        return;
    }
    const uint4* weights = (const uint4*) ((const unsigned short*) data + row * cols);
    const float4* x = (const float4*) (in + (long) blockIdx.y * cols);
    float sum = 0.f;
    for (int chunk = lane; chunk < (cols >> 3); chunk += 32) {
        uint4 packed = weights[chunk];
        float2 w0 = __half22float2(*(const __half2*) &packed.x);
        float2 w1 = __half22float2(*(const __half2*) &packed.y);
        float2 w2 = __half22float2(*(const __half2*) &packed.z);
        float2 w3 = __half22float2(*(const __half2*) &packed.w);
        float4 x0 = x[2 * chunk];
        float4 x1 = x[2 * chunk + 1];
        sum += w0.x * x0.x + w0.y * x0.y + w1.x * x0.z + w1.y * x0.w
             + w2.x * x1.x + w2.y * x1.y + w3.x * x1.z + w3.y * x1.w;
    }
    sum = warp_sum(sum);
    if (lane == 0) {
        out[(long) blockIdx.y * rows + row] = sum;
    }
}

__device__ __forceinline__ float dot_char4(unsigned int packed, float4 x) {
    char4 q = *(const char4*) &packed;
    return (float) q.x * x.x + (float) q.y * x.y + (float) q.z * x.z + (float) q.w * x.w;
}

extern "C" __global__ void gemv_q8_0_x16(const void* data, const unsigned short* scales, int rows, int cols,
                                         const float* in, float* out) {
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    long row = (long) blockIdx.x * (blockDim.x >> 5) + warp;
    if (row >= rows) {
        return;
    }
    const uint4* quants = (const uint4*) ((const signed char*) data + row * cols);
    const unsigned short* rowScales = scales + row * (cols >> 5);
    const float4* x = (const float4*) (in + (long) blockIdx.y * cols);
    float sum = 0.f;
    for (int chunk = lane; chunk < (cols >> 4); chunk += 32) {
        uint4 packed = quants[chunk];
        float partial = dot_char4(packed.x, x[4 * chunk]) + dot_char4(packed.y, x[4 * chunk + 1])
                      + dot_char4(packed.z, x[4 * chunk + 2]) + dot_char4(packed.w, x[4 * chunk + 3]);
        sum += half_bits_to_float(rowScales[chunk >> 1]) * partial;
    }
    sum = warp_sum(sum);
    if (lane == 0) {
        out[(long) blockIdx.y * rows + row] = sum;
    }
}

extern "C" __global__ void gemv_q4_0_x32(const void* data, const unsigned short* scales, int rows, int cols,
                                         const float* in, float* out) {
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    long row = (long) blockIdx.x * (blockDim.x >> 5) + warp;
    if (row >= rows) {
        return;
    }
    const uint4* blocks = (const uint4*) ((const unsigned char*) data + row * (cols >> 1));
    const unsigned short* rowScales = scales + row * (cols >> 5);
    const float* x = in + (long) blockIdx.y * cols;
    float sum = 0.f;
    for (int block = lane; block < (cols >> 5); block += 32) {
        uint4 packed = blocks[block];
        const unsigned char* bytes = (const unsigned char*) &packed;
        const float4* low = (const float4*) (x + 32 * block);
        const float4* high = (const float4*) (x + 32 * block + 16);
        float partial = 0.f;
#pragma unroll
        for (int i = 0; i < 4; i++) {
            float4 xl = low[i];
            float4 xh = high[i];
            // Byte j holds element j (low nibble) and element j + 16 (high nibble) of the block.
            partial += (float) ((bytes[4 * i] & 15) - 8) * xl.x + (float) ((bytes[4 * i + 1] & 15) - 8) * xl.y
                     + (float) ((bytes[4 * i + 2] & 15) - 8) * xl.z + (float) ((bytes[4 * i + 3] & 15) - 8) * xl.w
                     + (float) ((bytes[4 * i] >> 4) - 8) * xh.x + (float) ((bytes[4 * i + 1] >> 4) - 8) * xh.y
                     + (float) ((bytes[4 * i + 2] >> 4) - 8) * xh.z + (float) ((bytes[4 * i + 3] >> 4) - 8) * xh.w;
        }
        sum += half_bits_to_float(rowScales[block]) * partial;
    }
    sum = warp_sum(sum);
    if (lane == 0) {
        out[(long) blockIdx.y * rows + row] = sum;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Tiled matrix-matrix product for prefill, same formula as gemv. A block computes a 64 (rows) × 64 (batch) tile of
// the output, 4 × 4 per thread, stepping through the columns 16 at a time with both operands' slices in shared
// memory: each weight element is read from global memory once per 64 batch rows. Grid (ceil(rows / 64),
// ceil(batch / 64)), block (16, 16).

#define GEMM_TILE 64
#define GEMM_STEP 16

template <int TYPE>
__device__ void gemm(const void* data, const unsigned short* scales, int rows, int cols, const float* in, int batch,
                     float* out) {
    __shared__ float weights[GEMM_STEP][GEMM_TILE + 1];
    __shared__ float inputs[GEMM_STEP][GEMM_TILE + 1];
    int tx = threadIdx.x;
    int ty = threadIdx.y;
    int thread = ty * 16 + tx;
    int rowBase = blockIdx.x * GEMM_TILE;
    int batchBase = blockIdx.y * GEMM_TILE;
    float acc[4][4];
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) {
            acc[i][j] = 0.f;
        }
    }
    for (int step = 0; step < cols; step += GEMM_STEP) {
        for (int i = thread; i < GEMM_TILE * GEMM_STEP; i += 256) {
            // Neighbouring threads take neighbouring columns of one row: coalesced reads of both operands.
            int r = i / GEMM_STEP;
            int k = i % GEMM_STEP;
            int col = step + k;
            int row = rowBase + r;
            int b = batchBase + r;
            weights[k][r] = row < rows && col < cols ? weight_at<TYPE>(data, scales, row, col, cols) : 0.f;
            inputs[k][r] = b < batch && col < cols ? in[(long) b * cols + col] : 0.f;
        }
        __syncthreads();
        for (int k = 0; k < GEMM_STEP; k++) {
            float w[4];
            float x[4];
            for (int i = 0; i < 4; i++) {
                w[i] = weights[k][tx + 16 * i];
                x[i] = inputs[k][ty + 16 * i];
            }
            for (int i = 0; i < 4; i++) {
                for (int j = 0; j < 4; j++) {
                    acc[i][j] += w[i] * x[j];
                }
            }
        }
        __syncthreads();
    }
    for (int i = 0; i < 4; i++) {
        int row = rowBase + tx + 16 * i;
        for (int j = 0; j < 4; j++) {
            int b = batchBase + ty + 16 * j;
            if (row < rows && b < batch) {
                out[(long) b * rows + row] = acc[i][j];
            }
        }
    }
}

// One entry point per weight type and kernel: the host picks the name by the matrix's type.
#define WEIGHT_KERNELS(SUFFIX, TYPE)                                                                                 \
    extern "C" __global__ void embed_##SUFFIX(const void* data, const unsigned short* scales, int cols,              \
                                              const int* tokens, float* out) {                                      \
        embed<TYPE>(data, scales, cols, tokens, out);                                                                \
    }                                                                                                                \
    extern "C" __global__ void gemv_##SUFFIX(const void* data, const unsigned short* scales, int rows, int cols,     \
                                             const float* in, float* out) {                                         \
        gemv<TYPE>(data, scales, rows, cols, in, out);                                                               \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(256) gemm_##SUFFIX(const void* data, const unsigned short* scales,  \
                                             int rows, int cols, const float* in, int batch, float* out) {          \
        gemm<TYPE>(data, scales, rows, cols, in, batch, out);                                                        \
    }

WEIGHT_KERNELS(f32, TYPE_F32)
WEIGHT_KERNELS(f16, TYPE_F16)
WEIGHT_KERNELS(bf16, TYPE_BF16)
WEIGHT_KERNELS(q8_0, TYPE_Q8_0)
WEIGHT_KERNELS(q4_0, TYPE_Q4_0)

// ---------------------------------------------------------------------------------------------------------------
// RMSNorm: out[b, :] = x[b, :] / sqrt(mean(x[b, :]²) + ε) ⊙ weight. Grid (batch), block 256.

extern "C" __global__ void rms_norm(const float* x, const float* weight, int size, float epsilon, float* out) {
    __shared__ float partial[32];
    const float* row = x + (long) blockIdx.x * size;
    float sum = 0.f;
    for (int i = threadIdx.x; i < size; i += blockDim.x) {
        sum += row[i] * row[i];
    }
    sum = warp_sum(sum);
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    if (lane == 0) {
        partial[warp] = sum;
    }
    __syncthreads();
    if (warp == 0) {
        int warps = blockDim.x >> 5;
        sum = lane < warps ? partial[lane] : 0.f;
        sum = warp_sum(sum);
        if (lane == 0) {
            partial[0] = sum;
        }
    }
    __syncthreads();
    float scale = 1.0f / sqrtf(partial[0] / size + epsilon);
    float* target = out + (long) blockIdx.x * size;
    for (int i = threadIdx.x; i < size; i += blockDim.x) {
        target[i] = weight[i] * (scale * row[i]);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// RoPE in place on rows × heads head vectors. The host computes cos/sin of each (row, pair) exactly as the CPU
// backend does and uploads them: table[row * pairs + i]. halves = 0 rotates (2i, 2i + 1) (Llama), 1 rotates
// (i, i + pairs) (NeoX / Qwen2). Grid (rows × heads), block 64.

extern "C" __global__ void rope(float* vectors, int heads, int headDimension, int pairs, const float* cosines,
                                const float* sines, int halves) {
    int row = blockIdx.x / heads;
    float* head = vectors + (long) blockIdx.x * headDimension;
    for (int i = threadIdx.x; i < pairs; i += blockDim.x) {
        int first = halves ? i : 2 * i;
        int second = halves ? i + pairs : first + 1;
        float cosine = cosines[row * pairs + i];
        float sine = sines[row * pairs + i];
        float a = head[first];
        float b = head[second];
        head[first] = a * cosine - b * sine;
        head[second] = a * sine + b * cosine;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Element-wise kernels. Grid ceil(n / 256), block 256.

// gate ← silu(gate) ⊙ up (SwiGLU).
extern "C" __global__ void swiglu(float* gate, const float* up, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        float g = gate[i];
        gate[i] = g / (1.0f + expf(-g)) * up[i];
    }
}

// x ← x + delta (residual).
extern "C" __global__ void add_in_place(float* x, const float* delta, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        x[i] += delta[i];
    }
}

// x[b, :] ← x[b, :] + bias for n = batch × width elements (Qwen2's Q, K, V biases).
extern "C" __global__ void add_bias(float* x, const float* bias, int width, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
        x[i] += bias[i % width];
    }
}

// ---------------------------------------------------------------------------------------------------------------
// fp16 KV cache. Append count tokens' keys and values ([token][kvHead][d] floats) at position.. of one layer, whose
// tokens live in slot position mod capacity: the fp16 cache (capacity = maxTokens) never wraps; KIVI's fp16 window of
// the newest tokens is a ring of capacity slots. Grid ceil(count × kvHeads × headDimension / 256), block 256.

extern "C" __global__ void kv_append_f16(const float* keys, const float* values, int count, int kvHeads,
                                         int headDimension, int capacity, int position, unsigned short* keyCache,
                                         unsigned short* valueCache) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    int width = kvHeads * headDimension;
    if (i >= count * width) {
        return;
    }
    int token = i / width;
    int head = (i % width) / headDimension;
    int d = i % headDimension;
    long target = ((long) head * capacity + (position + token) % capacity) * headDimension + d;
    keyCache[target] = __half_as_ushort(__float2half_rn(keys[i]));
    valueCache[target] = __half_as_ushort(__float2half_rn(values[i]));
}

#define MAX_HEAD_DIMENSION 256
#define ATTENTION_WARPS 4

// Causal attention of rows query rows over the fp16 cache, one (query head, row) per block, for decode and for head
// dimensions the tiled kernel does not take. Row r sits at firstPosition + r and sees positions 0..firstPosition + r.
// Each warp streams every fourth token with an online softmax (running max m, sum l, weighted values acc), so no
// score vector is stored; the four partial states are then merged. Grid (queryHeads, rows), block 128.
extern "C" __global__ void attention_rows_f16(const float* queries, const unsigned short* keyCache,
                                              const unsigned short* valueCache, int queryHeads, int kvHeads,
                                              int headDimension, int maxTokens, int firstPosition, float scale,
                                              float* out) {
    __shared__ float warpMax[ATTENTION_WARPS];
    __shared__ float warpSum[ATTENTION_WARPS];
    __shared__ float warpAcc[ATTENTION_WARPS][MAX_HEAD_DIMENSION];
    int head = blockIdx.x;
    int row = blockIdx.y;
    int kvHead = head / (queryHeads / kvHeads);
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    int last = firstPosition + row;
    const float* query = queries + ((long) row * queryHeads + head) * headDimension;
    const unsigned short* keys = keyCache + (long) kvHead * maxTokens * headDimension;
    const unsigned short* values = valueCache + (long) kvHead * maxTokens * headDimension;
    float q[MAX_HEAD_DIMENSION / 32];
    float acc[MAX_HEAD_DIMENSION / 32];
    for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
        int d = lane + 32 * i;
        q[i] = d < headDimension ? query[d] : 0.f;
        acc[i] = 0.f;
    }
    float m = -INFINITY;
    float l = 0.f;
    for (int t = warp; t <= last; t += ATTENTION_WARPS) {
        const unsigned short* key = keys + (long) t * headDimension;
        float s = 0.f;
        for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
            int d = lane + 32 * i;
            if (d < headDimension) {
                s += q[i] * half_bits_to_float(key[d]);
            }
        }
        s = warp_sum(s) * scale;
        float newMax = fmaxf(m, s);
        float correction = expf(m - newMax);
        float p = expf(s - newMax);
        l = l * correction + p;
        const unsigned short* value = values + (long) t * headDimension;
        for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
            int d = lane + 32 * i;
            if (d < headDimension) {
                acc[i] = acc[i] * correction + p * half_bits_to_float(value[d]);
            }
        }
        m = newMax;
    }
    if (lane == 0) {
        warpMax[warp] = m;
        warpSum[warp] = l;
    }
    for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
        int d = lane + 32 * i;
        if (d < headDimension) {
            warpAcc[warp][d] = acc[i];
        }
    }
    __syncthreads();
    float total = -INFINITY;
    for (int w = 0; w < ATTENTION_WARPS; w++) {
        total = fmaxf(total, warpMax[w]);
    }
    float sum = 0.f;
    for (int w = 0; w < ATTENTION_WARPS; w++) {
        // A warp that saw no token has m = -inf and contributes nothing.
        sum += warpMax[w] == -INFINITY ? 0.f : warpSum[w] * expf(warpMax[w] - total);
    }
    float* target = out + ((long) row * queryHeads + head) * headDimension;
    for (int d = threadIdx.x; d < headDimension; d += blockDim.x) {
        float value = 0.f;
        for (int w = 0; w < ATTENTION_WARPS; w++) {
            if (warpMax[w] != -INFINITY) {
                value += warpAcc[w][d] * expf(warpMax[w] - total);
            }
        }
        target[d] = value / sum;
    }
}

#define TILE_QUERIES 16
#define TILE_TOKENS 32
#define TILE_HEAD_DIMENSION 128

// Tiled causal attention for prefill (flash-attention style: no rows × tokens score matrix). A block takes 16 query
// rows of one query head; its 4 warps own 4 rows each. Keys and values stream through shared memory 32 tokens at a
// time; lane j scores token j of the tile against a row, and the row's online softmax state (m, l, acc) is updated
// once per tile. For head dimensions up to 128. Grid (queryHeads, ceil(rows / 16)), block 128.
extern "C" __global__ void attention_prefill_f16(const float* queries, const unsigned short* keyCache,
                                                 const unsigned short* valueCache, int queryHeads, int kvHeads,
                                                 int headDimension, int maxTokens, int firstPosition, int rows,
                                                 float scale, float* out) {
    __shared__ float tileQueries[TILE_QUERIES][TILE_HEAD_DIMENSION];
    // One float of padding per key row: lanes read different rows at the same d, so rows must not share a bank.
    __shared__ float tileKeys[TILE_TOKENS][TILE_HEAD_DIMENSION + 1];
    __shared__ float tileValues[TILE_TOKENS][TILE_HEAD_DIMENSION];
    int head = blockIdx.x;
    int rowBase = blockIdx.y * TILE_QUERIES;
    int kvHead = head / (queryHeads / kvHeads);
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    const unsigned short* keys = keyCache + (long) kvHead * maxTokens * headDimension;
    const unsigned short* values = valueCache + (long) kvHead * maxTokens * headDimension;
    for (int i = threadIdx.x; i < TILE_QUERIES * headDimension; i += blockDim.x) {
        int r = i / headDimension;
        int d = i % headDimension;
        int row = rowBase + r;
        tileQueries[r][d] = row < rows ? queries[((long) row * queryHeads + head) * headDimension + d] : 0.f;
    }
    float m[4];
    float l[4];
    float acc[4][TILE_HEAD_DIMENSION / 32];
#pragma unroll
    for (int r = 0; r < 4; r++) {
        m[r] = -INFINITY;
        l[r] = 0.f;
        for (int i = 0; i < TILE_HEAD_DIMENSION / 32; i++) {
            acc[r][i] = 0.f;
        }
    }
    int lastRow = min(rowBase + TILE_QUERIES, rows) - 1;
    int lastToken = firstPosition + lastRow;
    for (int tileStart = 0; tileStart <= lastToken; tileStart += TILE_TOKENS) {
        __syncthreads();
        for (int i = threadIdx.x; i < TILE_TOKENS * headDimension; i += blockDim.x) {
            int j = i / headDimension;
            int d = i % headDimension;
            int token = tileStart + j;
            bool present = token <= lastToken;
            long source = (long) token * headDimension + d;
            tileKeys[j][d] = present ? half_bits_to_float(keys[source]) : 0.f;
            tileValues[j][d] = present ? half_bits_to_float(values[source]) : 0.f;
        }
        __syncthreads();
        // Unrolled so that m, l and acc stay in registers (indexed by constants).
#pragma unroll
        for (int r = 0; r < 4; r++) {
            int local = warp * 4 + r;
            int row = rowBase + local;
            if (row >= rows) {
                continue;
            }
            int position = firstPosition + row;
            int token = tileStart + lane;
            float s = -INFINITY;
            if (token <= position) {
                float dot = 0.f;
                for (int d = 0; d < headDimension; d++) {
                    dot += tileQueries[local][d] * tileKeys[lane][d];
                }
                s = dot * scale;
            }
            float tileMax = warp_max(s);
            if (tileMax == -INFINITY) {
                continue;  // the whole tile lies after this row's position (uniform over the warp)
            }
            float newMax = fmaxf(m[r], tileMax);
            float correction = expf(m[r] - newMax);
            float p = token <= position ? expf(s - newMax) : 0.f;
            l[r] = l[r] * correction + warp_sum(p);
            for (int i = 0; i < TILE_HEAD_DIMENSION / 32; i++) {
                acc[r][i] *= correction;
            }
            for (int j = 0; j < TILE_TOKENS; j++) {
                float pj = __shfl_sync(0xffffffffu, p, j);
                for (int i = 0; i < TILE_HEAD_DIMENSION / 32; i++) {
                    int d = lane + 32 * i;
                    if (d < headDimension) {
                        acc[r][i] += pj * tileValues[j][d];
                    }
                }
            }
            m[r] = newMax;
        }
    }
#pragma unroll
    for (int r = 0; r < 4; r++) {
        int row = rowBase + warp * 4 + r;
        if (row >= rows) {
            continue;
        }
        float* target = out + ((long) row * queryHeads + head) * headDimension;
        for (int i = 0; i < TILE_HEAD_DIMENSION / 32; i++) {
            int d = lane + 32 * i;
            if (d < headDimension) {
                target[d] = acc[r][i] / l[r];
            }
        }
    }
}

// Split-K decode attention (flash-decoding) for long contexts: one (query head, row) has too few blocks to fill the
// GPU, so its positions are cut into splits of tokensPerSplit, a block each (grid z). A block streams its split like
// attention_rows_f16 and writes its unnormalized state (max m, sum l, weighted values acc) to
// partials[((row × queryHeads + head) × splits + split) × (headDimension + 2)]: m, l, acc[0..headDimension).
// attention_merge_f16 then combines the splits. Grid (queryHeads, rows, splits), block 128.
extern "C" __global__ void attention_split_f16(const float* queries, const unsigned short* keyCache,
                                               const unsigned short* valueCache, int queryHeads, int kvHeads,
                                               int headDimension, int maxTokens, int firstPosition,
                                               int tokensPerSplit, float scale, float* partials) {
    __shared__ float warpMax[ATTENTION_WARPS];
    __shared__ float warpSum[ATTENTION_WARPS];
    __shared__ float warpAcc[ATTENTION_WARPS][MAX_HEAD_DIMENSION];
    int head = blockIdx.x;
    int row = blockIdx.y;
    int split = blockIdx.z;
    int splits = gridDim.z;
    int kvHead = head / (queryHeads / kvHeads);
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    int first = split * tokensPerSplit;
    int last = min(firstPosition + row, first + tokensPerSplit - 1);
    const float* query = queries + ((long) row * queryHeads + head) * headDimension;
    const unsigned short* keys = keyCache + (long) kvHead * maxTokens * headDimension;
    const unsigned short* values = valueCache + (long) kvHead * maxTokens * headDimension;
    float q[MAX_HEAD_DIMENSION / 32];
    float acc[MAX_HEAD_DIMENSION / 32];
    for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
        int d = lane + 32 * i;
        q[i] = d < headDimension ? query[d] : 0.f;
        acc[i] = 0.f;
    }
    float m = -INFINITY;
    float l = 0.f;
    for (int t = first + warp; t <= last; t += ATTENTION_WARPS) {
        const unsigned short* key = keys + (long) t * headDimension;
        float s = 0.f;
        for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
            int d = lane + 32 * i;
            if (d < headDimension) {
                s += q[i] * half_bits_to_float(key[d]);
            }
        }
        s = warp_sum(s) * scale;
        float newMax = fmaxf(m, s);
        float correction = expf(m - newMax);
        float p = expf(s - newMax);
        l = l * correction + p;
        const unsigned short* value = values + (long) t * headDimension;
        for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
            int d = lane + 32 * i;
            if (d < headDimension) {
                acc[i] = acc[i] * correction + p * half_bits_to_float(value[d]);
            }
        }
        m = newMax;
    }
    if (lane == 0) {
        warpMax[warp] = m;
        warpSum[warp] = l;
    }
    for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
        int d = lane + 32 * i;
        if (d < headDimension) {
            warpAcc[warp][d] = acc[i];
        }
    }
    __syncthreads();
    float total = -INFINITY;
    for (int w = 0; w < ATTENTION_WARPS; w++) {
        total = fmaxf(total, warpMax[w]);
    }
    float* target = partials + (((long) row * queryHeads + head) * splits + split) * (headDimension + 2);
    if (threadIdx.x == 0) {
        float sum = 0.f;
        for (int w = 0; w < ATTENTION_WARPS; w++) {
            sum += warpMax[w] == -INFINITY ? 0.f : warpSum[w] * expf(warpMax[w] - total);
        }
        target[0] = total;  // -inf when the split lies wholly after this row's position
        target[1] = sum;
    }
    for (int d = threadIdx.x; d < headDimension; d += blockDim.x) {
        float value = 0.f;
        for (int w = 0; w < ATTENTION_WARPS; w++) {
            if (warpMax[w] != -INFINITY) {
                value += warpAcc[w][d] * expf(warpMax[w] - total);
            }
        }
        target[2 + d] = value;
    }
}

// Combines attention_split_f16's partial states: out = Σ_s acc_s·e^(m_s − M) / Σ_s l_s·e^(m_s − M), M = max_s m_s.
// Grid (queryHeads, rows), block 128.
extern "C" __global__ void attention_merge_f16(const float* partials, int queryHeads, int headDimension, int splits,
                                               float* out) {
    int head = blockIdx.x;
    int row = blockIdx.y;
    const float* states = partials + ((long) row * queryHeads + head) * splits * (headDimension + 2);
    float total = -INFINITY;
    for (int s = 0; s < splits; s++) {
        total = fmaxf(total, states[s * (headDimension + 2)]);
    }
    float sum = 0.f;
    for (int s = 0; s < splits; s++) {
        float m = states[s * (headDimension + 2)];
        sum += m == -INFINITY ? 0.f : states[s * (headDimension + 2) + 1] * expf(m - total);
    }
    float* target = out + ((long) row * queryHeads + head) * headDimension;
    for (int d = threadIdx.x; d < headDimension; d += blockDim.x) {
        float value = 0.f;
        for (int s = 0; s < splits; s++) {
            float m = states[s * (headDimension + 2)];
            if (m != -INFINITY) {
                value += states[s * (headDimension + 2) + 2 + d] * expf(m - total);
            }
        }
        target[d] = value / sum;
    }
}

// ---------------------------------------------------------------------------------------------------------------
// KIVI's packed store in device memory (ZIPCACHE.md §10.1), computing what the CPU's KiviKvCache computes
// (dev.zipcache.cache.KiviKvCache with the quantize package's channelwise and groupwise schemes). Per layer:
//  - the newest tokens in fp16: a ring half[kvHeads][capacity][headDimension], position p in slot p mod capacity;
//  - keys of positions < quantizedKeys: codes uchar[maxTokens][rowBytes], one row per token over all
//    C = kvHeads × headDimension channels in CodePacking's planar layout (code c in byte c mod rowBytes, at bit
//    bits × (c / rowBytes)); an fp16 (min, step) per channel and block of tokenGroup tokens, at [block][C];
//  - values of positions < quantizedValues: codes likewise; an fp16 (min, step) per token and run of valueRun
//    channels (runs start at channel 0 of the row), at [token][ceil(C / valueRun)].
// Quantization is MinMaxQuantization's (ZIPCACHE.md §2): step = (max − min) / (2^bits − 1), both rounded to fp16,
// code = rint((x − min) / step) clamped to [0, 2^bits − 1] (0 when step is 0), x̂ = code · step + min, with IEEE
// division and no contraction, so the codes are bit for bit the CPU's. Bits 2, 4 and 8 (the planar layouts).

__device__ __forceinline__ unsigned short float_to_half_bits(float value) {
    return __half_as_ushort(__float2half_rn(value));
}

__device__ __forceinline__ unsigned int quantize_code(float x, float minimum, float step, float maxCode) {
    if (step == 0.f) {
        return 0;
    }
    return (unsigned int) fminf(fmaxf(rintf(__fdiv_rn(x - minimum, step)), 0.f), maxCode);
}

__device__ __forceinline__ float dequantize_code(unsigned int code, float minimum, float step) {
    return __fadd_rn(__fmul_rn((float) code, step), minimum);
}

// Code `column` of a packed row (CodePacking.codeAt for the planar layouts).
__device__ __forceinline__ unsigned int code_at(const unsigned char* row, int rowBytes, int bits, int column) {
    int plane = column / rowBytes;
    return (row[column - plane * rowBytes] >> (plane * bits)) & ((1u << bits) - 1);
}

// Channel c (= head × headDimension + d) of position p in an fp16 ring.
__device__ __forceinline__ float window_at(const unsigned short* window, int capacity, int headDimension, int position,
                                           int c) {
    int head = c / headDimension;
    return half_bits_to_float(window[((long) head * capacity + position % capacity) * headDimension
                                     + c % headDimension]);
}

// Packs one quantized row: thread by thread over its bytes, each byte gathering the codes of its planes.
template <bool PER_CHANNEL>
__device__ void pack_row(const unsigned short* window, int capacity, int headDimension, int width, int position,
                         int bits, int rowBytes, const unsigned short* minimums, const unsigned short* steps,
                         int valueRun, unsigned char* codes) {
    float maxCode = (float) ((1 << bits) - 1);
    int planes = 8 / bits;
    for (int byte = threadIdx.x; byte < rowBytes; byte += blockDim.x) {
        unsigned int packed = 0;
        for (int plane = 0; plane < planes; plane++) {
            int c = plane * rowBytes + byte;
            if (c < width) {
                int parameter = PER_CHANNEL ? c : c / valueRun;
                float x = window_at(window, capacity, headDimension, position, c);
                packed |= quantize_code(x, half_bits_to_float(minimums[parameter]),
                                        half_bits_to_float(steps[parameter]), maxCode) << (plane * bits);
            }
        }
        codes[(long) position * rowBytes + byte] = (unsigned char) packed;
    }
}

// Keys: quantizes blocks of tokenGroup positions from firstPosition (a multiple of tokenGroup) out of the ring,
// channelwise (the "channelwise" scheme over a block of tokenGroup × C). Grid (blocks), block 256.
extern "C" __global__ void kivi_pack_keys(const unsigned short* keyWindow, int capacity, int kvHeads,
                                          int headDimension, int firstPosition, int tokenGroup, int bits,
                                          int rowBytes, unsigned char* codes, unsigned short* minimums,
                                          unsigned short* steps) {
    int width = kvHeads * headDimension;
    int first = firstPosition + blockIdx.x * tokenGroup;
    unsigned short* blockMinimums = minimums + (long) (first / tokenGroup) * width;
    unsigned short* blockSteps = steps + (long) (first / tokenGroup) * width;
    float maxCode = (float) ((1 << bits) - 1);
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        float low = INFINITY;
        float high = -INFINITY;
        for (int t = 0; t < tokenGroup; t++) {
            float x = window_at(keyWindow, capacity, headDimension, first + t, c);
            low = fminf(low, x);
            high = fmaxf(high, x);
        }
        blockMinimums[c] = float_to_half_bits(low);
        blockSteps[c] = float_to_half_bits(__fdiv_rn(high - low, maxCode));
    }
    // Other threads read these parameters: __syncthreads makes a block's global writes visible to the block.
    __syncthreads();
    for (int t = 0; t < tokenGroup; t++) {
        pack_row<true>(keyWindow, capacity, headDimension, width, first + t, bits, rowBytes, blockMinimums,
                       blockSteps, 0, codes);
    }
}

// Values: quantizes count positions from firstPosition out of the ring, one token per block, per run of valueRun
// channels (the "groupwise" scheme). Grid (count), block 128.
extern "C" __global__ void kivi_pack_values(const unsigned short* valueWindow, int capacity, int kvHeads,
                                            int headDimension, int firstPosition, int valueRun, int bits,
                                            int rowBytes, unsigned char* codes, unsigned short* minimums,
                                            unsigned short* steps) {
    int width = kvHeads * headDimension;
    int position = firstPosition + blockIdx.x;
    int runs = (width + valueRun - 1) / valueRun;
    unsigned short* rowMinimums = minimums + (long) position * runs;
    unsigned short* rowSteps = steps + (long) position * runs;
    float maxCode = (float) ((1 << bits) - 1);
    for (int run = threadIdx.x; run < runs; run += blockDim.x) {
        float low = INFINITY;
        float high = -INFINITY;
        for (int c = run * valueRun; c < min(width, (run + 1) * valueRun); c++) {
            float x = window_at(valueWindow, capacity, headDimension, position, c);
            low = fminf(low, x);
            high = fmaxf(high, x);
        }
        rowMinimums[run] = float_to_half_bits(low);
        rowSteps[run] = float_to_half_bits(__fdiv_rn(high - low, maxCode));
    }
    __syncthreads();
    pack_row<false>(valueWindow, capacity, headDimension, width, position, bits, rowBytes, rowMinimums, rowSteps,
                    valueRun, codes);
}

// Moves positions firstPosition.. (count of them) of a ring to a ring of another capacity (the window grows for a
// prompt and shrinks after it). Grid ceil(count × kvHeads × headDimension / 256), block 256.
extern "C" __global__ void kv_window_move_f16(const unsigned short* keys, const unsigned short* values, int capacity,
                                              unsigned short* newKeys, unsigned short* newValues, int newCapacity,
                                              int kvHeads, int headDimension, int firstPosition, int count) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    int width = kvHeads * headDimension;
    if (i >= count * width) {
        return;
    }
    int position = firstPosition + i / width;
    int head = (i % width) / headDimension;
    int d = i % headDimension;
    long source = ((long) head * capacity + position % capacity) * headDimension + d;
    long target = ((long) head * newCapacity + position % newCapacity) * headDimension + d;
    newKeys[target] = keys[source];
    newValues[target] = values[source];
}

// Causal attention over a compressed store and its fp16 ring, for KIVI's and ZipCache's stores alike: STORE says
// where token t's key and value come from (store.key(t, c), store.value(t, c): dequantized in registers from packed
// codes, or read from the ring). The decomposition is attention_rows_f16's (four warps, an online softmax each, then
// merged); SPLIT covers positions split × tokensPerSplit.. only and writes the partial state as attention_split_f16
// does, for attention_merge_f16. Row r sits at firstPosition + r and sees t = 0..firstPosition + r.
template <bool SPLIT, class STORE>
__device__ void attention_over_store(const float* queries, const STORE& store, int queryHeads, int kvHeads,
                                     int headDimension, int firstPosition, int tokensPerSplit, float scale,
                                     float* out) {
    __shared__ float warpMax[ATTENTION_WARPS];
    __shared__ float warpSum[ATTENTION_WARPS];
    __shared__ float warpAcc[ATTENTION_WARPS][MAX_HEAD_DIMENSION];
    int head = blockIdx.x;
    int row = blockIdx.y;
    int kvHead = head / (queryHeads / kvHeads);
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    int first = SPLIT ? blockIdx.z * tokensPerSplit : 0;
    int last = SPLIT ? min(firstPosition + row, first + tokensPerSplit - 1) : firstPosition + row;
    const float* query = queries + ((long) row * queryHeads + head) * headDimension;
    float q[MAX_HEAD_DIMENSION / 32];
    float acc[MAX_HEAD_DIMENSION / 32];
    for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
        int d = lane + 32 * i;
        q[i] = d < headDimension ? query[d] : 0.f;
        acc[i] = 0.f;
    }
    float m = -INFINITY;
    float l = 0.f;
    for (int t = first + warp; t <= last; t += ATTENTION_WARPS) {
        float s = 0.f;
        for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
            int d = lane + 32 * i;
            if (d < headDimension) {
                s += q[i] * store.key(t, kvHead * headDimension + d);
            }
        }
        s = warp_sum(s) * scale;
        float newMax = fmaxf(m, s);
        float correction = expf(m - newMax);
        float p = expf(s - newMax);
        l = l * correction + p;
        for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
            int d = lane + 32 * i;
            if (d < headDimension) {
                acc[i] = acc[i] * correction + p * store.value(t, kvHead * headDimension + d);
            }
        }
        m = newMax;
    }
    if (lane == 0) {
        warpMax[warp] = m;
        warpSum[warp] = l;
    }
    for (int i = 0; i < MAX_HEAD_DIMENSION / 32; i++) {
        int d = lane + 32 * i;
        if (d < headDimension) {
            warpAcc[warp][d] = acc[i];
        }
    }
    __syncthreads();
    float total = -INFINITY;
    for (int w = 0; w < ATTENTION_WARPS; w++) {
        total = fmaxf(total, warpMax[w]);
    }
    float sum = 0.f;
    for (int w = 0; w < ATTENTION_WARPS; w++) {
        sum += warpMax[w] == -INFINITY ? 0.f : warpSum[w] * expf(warpMax[w] - total);
    }
    float* target = SPLIT ? out + (((long) row * queryHeads + head) * gridDim.z + blockIdx.z) * (headDimension + 2)
                          : out + ((long) row * queryHeads + head) * headDimension;
    if (SPLIT && threadIdx.x == 0) {
        target[0] = total;
        target[1] = sum;
    }
    for (int d = threadIdx.x; d < headDimension; d += blockDim.x) {
        float value = 0.f;
        for (int w = 0; w < ATTENTION_WARPS; w++) {
            if (warpMax[w] != -INFINITY) {
                value += warpAcc[w][d] * expf(warpMax[w] - total);
            }
        }
        if (SPLIT) {
            target[2 + d] = value;
        } else {
            target[d] = value / sum;
        }
    }
}

// KIVI's store: position t's key is packed when t < quantizedKeys, its value when t < quantizedValues; the rest is
// in the ring.
struct KiviStore {
    const unsigned short* keyWindow;
    const unsigned short* valueWindow;
    int capacity;
    int headDimension;
    const unsigned char* keyCodes;
    const unsigned short* keyMinimums;
    const unsigned short* keySteps;
    const unsigned char* valueCodes;
    const unsigned short* valueMinimums;
    const unsigned short* valueSteps;
    int width;
    int bits;
    int rowBytes;
    int tokenGroup;
    int valueRun;
    int quantizedKeys;
    int quantizedValues;

    __device__ __forceinline__ float key(int t, int c) const {
        if (t >= quantizedKeys) {
            return window_at(keyWindow, capacity, headDimension, t, c);
        }
        long parameter = (long) (t / tokenGroup) * width + c;
        return dequantize_code(code_at(keyCodes + (long) t * rowBytes, rowBytes, bits, c),
                               half_bits_to_float(keyMinimums[parameter]), half_bits_to_float(keySteps[parameter]));
    }

    __device__ __forceinline__ float value(int t, int c) const {
        if (t >= quantizedValues) {
            return window_at(valueWindow, capacity, headDimension, t, c);
        }
        long parameter = (long) t * ((width + valueRun - 1) / valueRun) + c / valueRun;
        return dequantize_code(code_at(valueCodes + (long) t * rowBytes, rowBytes, bits, c),
                               half_bits_to_float(valueMinimums[parameter]),
                               half_bits_to_float(valueSteps[parameter]));
    }
};

#define KIVI_STORE_PARAMETERS                                                                                        \
    const float *queries, const unsigned short *keyWindow, const unsigned short *valueWindow, int capacity,         \
        const unsigned char *keyCodes, const unsigned short *keyMinimums, const unsigned short *keySteps,           \
        const unsigned char *valueCodes, const unsigned short *valueMinimums, const unsigned short *valueSteps,     \
        int queryHeads, int kvHeads, int headDimension, int bits, int rowBytes, int tokenGroup, int valueRun,       \
        int quantizedKeys, int quantizedValues, int firstPosition

#define KIVI_STORE                                                                                                   \
    KiviStore{keyWindow, valueWindow, capacity, headDimension, keyCodes, keyMinimums, keySteps, valueCodes,          \
              valueMinimums, valueSteps, kvHeads * headDimension, bits, rowBytes, tokenGroup, valueRun,              \
              quantizedKeys, quantizedValues}

// One (query head, row) per block over all its positions. Grid (queryHeads, rows), block 128.
extern "C" __global__ void attention_rows_kivi(KIVI_STORE_PARAMETERS, float scale, float* out) {
    attention_over_store<false>(queries, KIVI_STORE, queryHeads, kvHeads, headDimension, firstPosition, 0, scale,
                                out);
}

// The split form for a decode step over a long context: partial states for attention_merge_f16.
// Grid (queryHeads, rows, splits), block 128.
extern "C" __global__ void attention_split_kivi(KIVI_STORE_PARAMETERS, int tokensPerSplit, float scale,
                                                float* partials) {
    attention_over_store<true>(queries, KIVI_STORE, queryHeads, kvHeads, headDimension, firstPosition,
                               tokensPerSplit, scale, partials);
}

// ---------------------------------------------------------------------------------------------------------------
// ZipCache's mixed-precision store in device memory (ZIPCACHE.md §3, §4, §7), computing what the CPU's
// dev.zipcache.cache.MixedPrecisionKvCache computes with channelwise keys and CST values. Per layer:
//  - tokens not yet compressed (a prompt until it ends, then up to `interval` decoded tokens) in the fp16 ring of
//    KIVI's window, position p in slot p mod capacity;
//  - storedTokens = salientRows + regularRows compressed tokens in two precision groups, each a run of packed rows
//    over all C = kvHeads × headDimension channels (CodePacking's planar layout, as KIVI's rows): row j of a group
//    holds, in head h's channels, the j-th token that head put in that group (the official code's cross-head row
//    grouping, §4). Salient rows are high-bit, regular rows low-bit;
//  - keys: an fp16 (min, step) per channel and group, at [C]; values: an fp16 (min, step) per group row, at [row],
//    and one fp16 CST channel scale s_c per channel shared by both groups, at [C];
//  - attention reads view index t = row t of the salient group for t < salientRows, row t − salientRows of the
//    regular group for t < storedTokens, and ring position t above: attention does not depend on token order, and
//    a position's causal prefix is exactly the view indices up to it (every stored token precedes the ring).
// Compression (zip_gather, zip_fit_channels, zip_channel_scales, zip_fit_rows, zip_pack_rows) re-quantizes each
// whole group from its dequantized rows plus the newly chosen ring tokens, with fresh parameters (§7), through an
// fp32 staging matrix; which ring token joins which group is decided on the host from the saliency scores
// (zip_probe_softmax, zip_probe_scores) that it copies back: kvHeads floats per token.

struct ZipStore {
    const unsigned short* keyWindow;
    const unsigned short* valueWindow;
    int capacity;
    int headDimension;
    const unsigned char* salientKeyCodes;
    const unsigned short* salientKeyMinimums;
    const unsigned short* salientKeySteps;
    const unsigned char* regularKeyCodes;
    const unsigned short* regularKeyMinimums;
    const unsigned short* regularKeySteps;
    const unsigned char* salientValueCodes;
    const unsigned short* salientValueMinimums;
    const unsigned short* salientValueSteps;
    const unsigned char* regularValueCodes;
    const unsigned short* regularValueMinimums;
    const unsigned short* regularValueSteps;
    const unsigned short* channelScales;
    int highBits;
    int lowBits;
    int highRowBytes;
    int lowRowBytes;
    int salientRows;
    int storedTokens;

    __device__ __forceinline__ float key(int t, int c) const {
        if (t >= storedTokens) {
            return window_at(keyWindow, capacity, headDimension, t, c);
        }
        if (t < salientRows) {
            return dequantize_code(code_at(salientKeyCodes + (long) t * highRowBytes, highRowBytes, highBits, c),
                                   half_bits_to_float(salientKeyMinimums[c]), half_bits_to_float(salientKeySteps[c]));
        }
        long row = t - salientRows;
        return dequantize_code(code_at(regularKeyCodes + row * lowRowBytes, lowRowBytes, lowBits, c),
                               half_bits_to_float(regularKeyMinimums[c]), half_bits_to_float(regularKeySteps[c]));
    }

    __device__ __forceinline__ float value(int t, int c) const {
        if (t >= storedTokens) {
            return window_at(valueWindow, capacity, headDimension, t, c);
        }
        float x;
        if (t < salientRows) {
            x = dequantize_code(code_at(salientValueCodes + (long) t * highRowBytes, highRowBytes, highBits, c),
                                half_bits_to_float(salientValueMinimums[t]), half_bits_to_float(salientValueSteps[t]));
        } else {
            int row = t - salientRows;
            x = dequantize_code(code_at(regularValueCodes + (long) row * lowRowBytes, lowRowBytes, lowBits, c),
                                half_bits_to_float(regularValueMinimums[row]),
                                half_bits_to_float(regularValueSteps[row]));
        }
        return __fmul_rn(x, half_bits_to_float(channelScales[c]));
    }
};

__device__ __forceinline__ int packed_row_bytes(int width, int bits) {
    return (width * bits + 7) / 8;
}

#define ZIP_STORE_PARAMETERS                                                                                         \
    const unsigned short *keyWindow, const unsigned short *valueWindow, int capacity,                               \
        const unsigned char *salientKeyCodes, const unsigned short *salientKeyMinimums,                            \
        const unsigned short *salientKeySteps, const unsigned char *regularKeyCodes,                               \
        const unsigned short *regularKeyMinimums, const unsigned short *regularKeySteps,                           \
        const unsigned char *salientValueCodes, const unsigned short *salientValueMinimums,                        \
        const unsigned short *salientValueSteps, const unsigned char *regularValueCodes,                           \
        const unsigned short *regularValueMinimums, const unsigned short *regularValueSteps,                       \
        const unsigned short *channelScales, int queryHeads, int kvHeads, int headDimension, int highBits,         \
        int lowBits, int salientRows, int storedTokens

#define ZIP_STORE                                                                                                    \
    ZipStore{keyWindow, valueWindow, capacity, headDimension, salientKeyCodes, salientKeyMinimums,                  \
             salientKeySteps, regularKeyCodes, regularKeyMinimums, regularKeySteps, salientValueCodes,               \
             salientValueMinimums, salientValueSteps, regularValueCodes, regularValueMinimums, regularValueSteps,    \
             channelScales, highBits, lowBits, packed_row_bytes(kvHeads * headDimension, highBits),                  \
             packed_row_bytes(kvHeads * headDimension, lowBits), salientRows, storedTokens}

// Decode attention over the packed codes of both groups and the ring. Grid (queryHeads, rows), block 128.
extern "C" __global__ void attention_rows_zip(const float* queries, ZIP_STORE_PARAMETERS, int firstPosition,
                                              float scale, float* out) {
    attention_over_store<false>(queries, ZIP_STORE, queryHeads, kvHeads, headDimension, firstPosition, 0, scale,
                                out);
}

// The split form: partial states for attention_merge_f16. Grid (queryHeads, rows, splits), block 128.
extern "C" __global__ void attention_split_zip(const float* queries, ZIP_STORE_PARAMETERS, int firstPosition,
                                               int tokensPerSplit, float scale, float* partials) {
    attention_over_store<true>(queries, ZIP_STORE, queryHeads, kvHeads, headDimension, firstPosition,
                               tokensPerSplit, scale, partials);
}

// Keeps the queries of the probe rows (positions probeRows[0..probes)) that lie in this batch, rows at
// firstPosition.., for zip_probe_* when the prompt ends: only probe rows' queries are kept, not the prompt's.
// Grid ceil(probes × queryWidth / 256), block 256.
extern "C" __global__ void zip_keep_probe_queries(const float* queries, int rows, int firstPosition, int queryWidth,
                                                  const int* probeRows, int probes, float* probeQueries) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= probes * queryWidth) {
        return;
    }
    int probe = i / queryWidth;
    int row = probeRows[probe] - firstPosition;
    if (row >= 0 && row < rows) {
        probeQueries[i] = queries[(long) row * queryWidth + i % queryWidth];
    }
}

// Score of probe `probe`'s query head `head` against view index t, unscaled: TiledAttention scales inside the
// softmax, exp(scale·s − scale·max).
__device__ __forceinline__ float probe_score(const float* probeQueries, int probe, int head, int queryHeads,
                                             const ZipStore& store, int kvHead, int t) {
    const float* query = probeQueries + ((long) probe * queryHeads + head) * store.headDimension;
    float s = 0.f;
    for (int d = 0; d < store.headDimension; d++) {
        s += query[d] * store.key(t, kvHead * store.headDimension + d);
    }
    return s;
}

#define PROBE_THREADS 128

// The softmax statistics of each probe row and query head over the view indices it sees (0..probeRows[probe]):
// stats[(probe × queryHeads + head) × 2] = (max of the unscaled scores, Σ exp(scale·s − scale·max)).
// Grid (queryHeads, probes), block 128.
extern "C" __global__ void zip_probe_softmax(const float* probeQueries, const int* probeRows, ZIP_STORE_PARAMETERS,
                                             float scale, float* stats) {
    __shared__ float partial[PROBE_THREADS / 32];
    int head = blockIdx.x;
    int probe = blockIdx.y;
    int kvHead = head / (queryHeads / kvHeads);
    int last = probeRows[probe];
    ZipStore store = ZIP_STORE;
    int warp = threadIdx.x >> 5;
    int lane = threadIdx.x & 31;
    float high = -INFINITY;
    for (int t = threadIdx.x; t <= last; t += blockDim.x) {
        high = fmaxf(high, probe_score(probeQueries, probe, head, queryHeads, store, kvHead, t));
    }
    high = warp_max(high);
    if (lane == 0) {
        partial[warp] = high;
    }
    __syncthreads();
    high = -INFINITY;
    for (int w = 0; w < PROBE_THREADS / 32; w++) {
        high = fmaxf(high, partial[w]);
    }
    __syncthreads();
    float shift = scale * high;
    float sum = 0.f;
    for (int t = threadIdx.x; t <= last; t += blockDim.x) {
        sum += expf(probe_score(probeQueries, probe, head, queryHeads, store, kvHead, t) * scale - shift);
    }
    sum = warp_sum(sum);
    if (lane == 0) {
        partial[warp] = sum;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        float total = 0.f;
        for (int w = 0; w < PROBE_THREADS / 32; w++) {
            total += partial[w];
        }
        stats[((long) probe * queryHeads + head) * 2] = high;
        stats[((long) probe * queryHeads + head) * 2 + 1] = total;
    }
}

#define NORMALIZATION_NONE 0
#define NORMALIZATION_FULL_CAUSAL 1
#define NORMALIZATION_PROBE_COUNT 2

// Saliency scores of positions firstToken..length − 1 (AttentionScorer, ZIPCACHE.md §5.2): one thread per (KV head,
// position) walks the probes in order and adds, for each probe that sees the position, its probability summed over
// the KV head's query heads (float, head order), into a double, as the CPU scorer does; then divides by L − i
// (full-causal), the probes seeing it (probe-count) or 1 (none). scores[kvHead × (length − firstToken) + i].
// Grid (kvHeads, ceil((length − firstToken) / 128)), block 128.
extern "C" __global__ void zip_probe_scores(const float* probeQueries, const int* probeRows, int probes,
                                            const float* stats, ZIP_STORE_PARAMETERS, int firstToken, int length,
                                            int normalization, float scale, float* scores) {
    int kvHead = blockIdx.x;
    int i = blockIdx.y * blockDim.x + threadIdx.x;
    int position = firstToken + i;
    if (position >= length) {
        return;
    }
    ZipStore store = ZIP_STORE;
    int group = queryHeads / kvHeads;
    double sum = 0.0;
    int observers = 0;
    for (int probe = 0; probe < probes; probe++) {
        if (probeRows[probe] < position) {
            continue;
        }
        float summed = 0.f;
        for (int member = 0; member < group; member++) {
            int head = kvHead * group + member;
            const float* stat = stats + ((long) probe * queryHeads + head) * 2;
            float weight = expf(probe_score(probeQueries, probe, head, queryHeads, store, kvHead, position) * scale
                                - scale * stat[0]);
            summed += weight * (1.f / stat[1]);
        }
        sum += (double) summed;
        observers++;
    }
    double divisor = normalization == NORMALIZATION_FULL_CAUSAL ? (double) (length - position)
                   : normalization == NORMALIZATION_PROBE_COUNT ? (double) max(1, observers) : 1.0;
    scores[(long) kvHead * (length - firstToken) + i] = (float) (sum / divisor);
}

// Compression, step 1: the fp32 staging matrix of one kind (keys or values) for both groups, salient rows first:
// the oldSalient rows of the salient group dequantized, then the newSalient ring tokens chosen for it, then the
// regular group's oldRegular rows and its newRegular chosen tokens. indices[(j × kvHeads) + h] is the buffer index
// (position − firstBufferPosition) of head h's token for new row j, salient rows first. values = 1 dequantizes with
// per-row parameters and channel scales (CST), 0 with per-channel ones. Grid (all rows), block 128.
extern "C" __global__ void zip_gather(const unsigned short* window, int capacity, int kvHeads, int headDimension,
                                      int firstBufferPosition, const unsigned char* salientCodes,
                                      const unsigned short* salientMinimums, const unsigned short* salientSteps,
                                      const unsigned char* regularCodes, const unsigned short* regularMinimums,
                                      const unsigned short* regularSteps, const unsigned short* channelScales,
                                      int highBits, int lowBits, int oldSalient, int newSalient, int oldRegular,
                                      int newRegular, int values, const int* indices, float* staging) {
    int width = kvHeads * headDimension;
    int row = blockIdx.x;
    int salient = oldSalient + newSalient;
    bool inSalient = row < salient;
    int groupRow = inSalient ? row : row - salient;
    int oldRows = inSalient ? oldSalient : oldRegular;
    int bits = inSalient ? highBits : lowBits;
    int rowBytes = packed_row_bytes(width, bits);
    const unsigned char* codes = inSalient ? salientCodes : regularCodes;
    const unsigned short* minimums = inSalient ? salientMinimums : regularMinimums;
    const unsigned short* steps = inSalient ? salientSteps : regularSteps;
    int newRow = inSalient ? groupRow - oldSalient : newSalient + groupRow - oldRegular;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        float x;
        if (groupRow < oldRows) {
            int parameter = values ? groupRow : c;
            x = dequantize_code(code_at(codes + (long) groupRow * rowBytes, rowBytes, bits, c),
                                half_bits_to_float(minimums[parameter]), half_bits_to_float(steps[parameter]));
            if (values) {
                x = __fmul_rn(x, half_bits_to_float(channelScales[c]));
            }
        } else {
            int token = indices[(long) newRow * kvHeads + c / headDimension];
            x = window_at(window, capacity, headDimension, firstBufferPosition + token, c);
        }
        staging[(long) row * width + c] = x;
    }
}

// Keys, step 2: channelwise parameters of one group (rows × width from `rows`): per channel the fp16 minimum and
// step over the group's rows (ZIPCACHE.md §3). Grid ceil(width / 128), block 128.
extern "C" __global__ void zip_fit_channels(const float* rows, int width, int count, int bits,
                                            unsigned short* minimums, unsigned short* steps) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= width) {
        return;
    }
    float low = INFINITY;
    float high = -INFINITY;
    for (int row = 0; row < count; row++) {
        float x = rows[(long) row * width + c];
        low = fminf(low, x);
        high = fmaxf(high, x);
    }
    minimums[c] = float_to_half_bits(low);
    steps[c] = float_to_half_bits(__fdiv_rn(high - low, (float) ((1 << bits) - 1)));
}

// Values, step 2: CST's channel scales over both groups' rows (ChannelSeparableTokenwiseQuantizer.channelScales):
// s_c = sqrt(max |x[·, c]|) rounded to fp16, an all-zero column's 0 stored as 1 (MinMaxQuantizer.halfScale).
// Grid ceil(width / 128), block 128.
extern "C" __global__ void zip_channel_scales(const float* rows, int width, int count,
                                              unsigned short* channelScales) {
    int c = blockIdx.x * blockDim.x + threadIdx.x;
    if (c >= width) {
        return;
    }
    float largest = 0.f;
    for (int row = 0; row < count; row++) {
        largest = fmaxf(largest, fabsf(rows[(long) row * width + c]));
    }
    unsigned short scale = float_to_half_bits(__fsqrt_rn(largest));
    channelScales[c] = half_bits_to_float(scale) == 0.f ? (unsigned short) 0x3C00 : scale;
}

// Values, step 3: tokenwise parameters of one group's rows after dividing each channel by its scale: per row the
// fp16 minimum and step over all channels (ZIPCACHE.md §4 step 4). Grid (count), block 128.
extern "C" __global__ void zip_fit_rows(const float* rows, int width, int bits, const unsigned short* channelScales,
                                        unsigned short* minimums, unsigned short* steps) {
    __shared__ float lows[PROBE_THREADS / 32];
    __shared__ float highs[PROBE_THREADS / 32];
    const float* x = rows + (long) blockIdx.x * width;
    float low = INFINITY;
    float high = -INFINITY;
    for (int c = threadIdx.x; c < width; c += blockDim.x) {
        float scaled = __fdiv_rn(x[c], half_bits_to_float(channelScales[c]));
        low = fminf(low, scaled);
        high = fmaxf(high, scaled);
    }
    low = -warp_max(-low);
    high = warp_max(high);
    int warp = threadIdx.x >> 5;
    if ((threadIdx.x & 31) == 0) {
        lows[warp] = low;
        highs[warp] = high;
    }
    __syncthreads();
    if (threadIdx.x == 0) {
        for (int w = 0; w < PROBE_THREADS / 32; w++) {
            low = fminf(low, lows[w]);
            high = fmaxf(high, highs[w]);
        }
        minimums[blockIdx.x] = float_to_half_bits(low);
        steps[blockIdx.x] = float_to_half_bits(__fdiv_rn(high - low, (float) ((1 << bits) - 1)));
    }
}

// Step 4 for both kinds: packs a group's rows with its parameters, per channel (keys) or per row after dividing by
// the channel scales (values, perRow = 1), byte by byte over the planes as pack_row. Grid (count), block 128.
extern "C" __global__ void zip_pack_rows(const float* rows, int width, int bits, int perRow,
                                         const unsigned short* channelScales, const unsigned short* minimums,
                                         const unsigned short* steps, unsigned char* codes) {
    int rowBytes = packed_row_bytes(width, bits);
    int planes = 8 / bits;
    float maxCode = (float) ((1 << bits) - 1);
    const float* x = rows + (long) blockIdx.x * width;
    for (int byte = threadIdx.x; byte < rowBytes; byte += blockDim.x) {
        unsigned int packed = 0;
        for (int plane = 0; plane < planes; plane++) {
            int c = plane * rowBytes + byte;
            if (c < width) {
                int parameter = perRow ? blockIdx.x : c;
                float value = perRow ? __fdiv_rn(x[c], half_bits_to_float(channelScales[c])) : x[c];
                packed |= quantize_code(value, half_bits_to_float(minimums[parameter]),
                                        half_bits_to_float(steps[parameter]), maxCode) << (plane * bits);
            }
        }
        codes[(long) blockIdx.x * rowBytes + byte] = (unsigned char) packed;
    }
}
